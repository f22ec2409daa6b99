// undici's own modules, imported by path (undici-parts.ts), typed as undici's index types them.
declare module "undici/lib/dispatcher/agent.js" { const Agent: typeof import("undici").Agent; export default Agent; }
declare module "undici/lib/dispatcher/dispatcher.js" { const Dispatcher: typeof import("undici").Dispatcher; export default Dispatcher; }
declare module "undici/lib/dispatcher/proxy-agent.js" { const ProxyAgent: typeof import("undici").ProxyAgent; export default ProxyAgent; }
declare module "undici/lib/core/connect.js" { const buildConnector: typeof import("undici").buildConnector; export default buildConnector; }
declare module "undici/lib/api/index.js" { const api: object; export default api; }
