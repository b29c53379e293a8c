// carbonbridge stub of CAD Trust's data loaders: picklists are the bundled governance stub, as a
// CAD Trust node in simulator or development mode loads them (no governance node reached).
import PickListStub from '../models/governance/governance.stub.js';

export const getPicklistValues = () => PickListStub;
