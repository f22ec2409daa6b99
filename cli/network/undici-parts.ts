// The parts of undici the CLI uses, loaded by their own paths rather than through
// undici's index, which loads all of it (fetch, WebSocket, EventSource, caches, mocks):
// about 6.5 MiB more memory from the start of every pull, and more to parse (issue #27:
// peak RSS under 100 MiB). undici 7 has no "exports" map, so these paths are reachable;
// test/unit/cli-undici-parts.test.ts fails if one moves. Like the index, this gives
// every dispatcher its request() and connect() (ProxyAgent's CONNECT needs the latter).
import Agent from "undici/lib/dispatcher/agent.js";
import Dispatcher from "undici/lib/dispatcher/dispatcher.js";
import ProxyAgent from "undici/lib/dispatcher/proxy-agent.js";
import buildConnector from "undici/lib/core/connect.js";
import api from "undici/lib/api/index.js";

Object.assign(Dispatcher.prototype, api);

export { Agent, buildConnector, ProxyAgent };
export type { Dispatcher } from "undici";
