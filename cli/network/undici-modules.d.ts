// undici's own modules, imported by path (undici-parts.ts): typed there, from undici's index.
declare module "undici/lib/dispatcher/agent.js" { const value: unknown; export default value; }
declare module "undici/lib/dispatcher/dispatcher.js" { const value: unknown; export default value; }
declare module "undici/lib/dispatcher/proxy-agent.js" { const value: unknown; export default value; }
declare module "undici/lib/core/connect.js" { const value: unknown; export default value; }
declare module "undici/lib/api/index.js" { const value: object; export default value; }
