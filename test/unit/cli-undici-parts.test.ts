// The CLI loads undici's parts by their own paths (cli/network/undici-parts.ts), not
// through its index: they must be undici's own, the index must stay unloaded, and every
// dispatcher must have the request() and connect() the index would have given it (an
// undici upgrade that moves a file or changes that fails here, not in a user's pull).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import * as undici from "undici";
import { describe, expect, it } from "vitest";
import { Agent, buildConnector, ProxyAgent } from "../../cli/network/undici-parts.ts";

const PARTS = join(import.meta.dirname, "..", "..", "cli", "network", "undici-parts.ts");

describe("undici's parts, loaded one by one", () => {
  it("are the classes and functions undici's index exports", () => {
    expect(Agent).toBe(undici.Agent);
    expect(ProxyAgent).toBe(undici.ProxyAgent);
    expect(buildConnector).toBe(undici.buildConnector);
  });

  it("alone (in a process of their own), give every dispatcher request() and connect() without loading undici's index", () => {
    const script = `
      import { createRequire } from "node:module";
      const { Agent } = await import(${JSON.stringify(PARTS)});
      const agent = new Agent();
      const composed = agent.compose((dispatch) => dispatch);
      const index = Object.keys(createRequire(import.meta.url).cache).filter((k) => /undici[\\\\/]index\\.js$/.test(k));
      console.log(JSON.stringify({ request: [typeof agent.request, typeof composed.request], connect: [typeof agent.connect, typeof composed.connect], index }));
      await agent.close();`;
    const out = execFileSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ request: ["function", "function"], connect: ["function", "function"], index: [] });
  });
});
