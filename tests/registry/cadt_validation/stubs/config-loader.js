// carbonbridge stub of CAD Trust's config loader: the validation modules read only request-size
// limits (APP.REQUEST_CONTENT_LIMITS.<TABLE>.<LIMIT>) from it; any such limit is 1000 here.
const limits = new Proxy({}, { get: () => new Proxy({}, { get: () => 1000 }) });

export const getConfig = () => ({ APP: { REQUEST_CONTENT_LIMITS: limits } });
