// The parts of undici the CLI uses, loaded by their own paths rather than through
// undici's index, which loads all of it (fetch, WebSocket, EventSource, caches, mocks)
// and so cost every pull about 10 MiB of memory, and the start the time to parse it
// (issue #27: peak RSS under 100 MiB). undici 7 has no "exports" map, so these paths
// are reachable; test/unit/cli-undici-parts.test.ts fails if one moves. Like the index, this gives
// every dispatcher its request() and connect() (ProxyAgent's CONNECT needs the latter).
import type * as Undici from "undici";
import agent from "undici/lib/dispatcher/agent.js";
import dispatcher from "undici/lib/dispatcher/dispatcher.js";
import proxyAgent from "undici/lib/dispatcher/proxy-agent.js";
import connect from "undici/lib/core/connect.js";
import api from "undici/lib/api/index.js";

Object.assign((dispatcher as { prototype: object }).prototype, api);

export const Agent = agent as typeof Undici.Agent;
export const ProxyAgent = proxyAgent as typeof Undici.ProxyAgent;
export const buildConnector = connect as typeof Undici.buildConnector;
export type Dispatcher = Undici.Dispatcher;
