// Registers loader.mjs (carbonbridge's own code) before the harness imports CAD Trust's modules.
import { register } from 'node:module';

register('./loader.mjs', import.meta.url);
