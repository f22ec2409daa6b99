// The CLI behind a forwarding proxy (HTTP_PROXY/HTTPS_PROXY/NO_PROXY, either case): every
// request it makes — registry, token realm, the --proxy mirror — goes through the proxy,
// NO_PROXY bypasses it, -v says which way each host goes, DOCKERDL_PROXY is --proxy's
// default, and an https mirror address for a plain-http mirror gets a clear message.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startForwardProxy, type ForwardProxy } from "../harness/forward-proxy.ts";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { podmanLoad } from "../harness/podman.ts";
import { hostOf, runCli } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const tokenServer = hostOf(harness.tokenServer);
const workDir = mkdtempSync(join(tmpdir(), "dockerdl-cli-proxy-"));
let proxy: ForwardProxy;

/** The environment without the machine's own proxy settings, plus `extra`. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no)_proxy$|^dockerdl_proxy$/i.test(k)));
  return { ...clean, ...extra };
}

beforeAll(async () => {
  proxy = await startForwardProxy();
});
afterAll(async () => {
  await proxy.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe("dockerdl pull through an HTTP proxy", () => {
  it("HTTP_PROXY carries the registry and its token realm; -v names the proxy; the tar loads", async () => {
    proxy.targets.length = 0;
    const output = join(workDir, "via-proxy.tar");
    const result = await runCli(["pull", `${registry}/private/secret:v1`, "--username", harness.user.username, "--password-stdin", "-v", "-o", output], {
      cwd: workDir, stdin: harness.user.password, env: env({ HTTP_PROXY: proxy.url }),
    });
    expect(result.stderr).toContain(`dockerdl: ${registry}: through proxy ${proxy.url} (HTTP_PROXY)`);
    expect(result.stderr).not.toContain(harness.user.password);
    expect(result.code).toBe(0);
    expect(proxy.targets).toContain(registry);
    expect(proxy.targets).toContain(tokenServer);
    const loaded = await podmanLoad(output);
    expect(loaded.images.map((i) => i.name)).toEqual([`${registry}/private/secret:v1`]);
  });

  it("http_proxy (lower case) with NO_PROXY naming the host: nothing goes through the proxy", async () => {
    proxy.targets.length = 0;
    const result = await runCli(["pull", `${registry}/test/single:v1`, "-v", "-o", join(workDir, "bypass.tar")], {
      cwd: workDir, env: env({ http_proxy: proxy.url, NO_PROXY: "localhost,127.0.0.1" }),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(fixtureImage("test/single").digest);
    expect(result.stderr).toContain(`dockerdl: ${registry}: direct (NO_PROXY exempts it)`);
    expect(proxy.targets).toEqual([]);
  });

  it("the mirror from DOCKERDL_PROXY is reached through HTTP_PROXY too", async () => {
    proxy.targets.length = 0;
    const result = await runCli(["pull", "test/single:v1", "-v", "-o", join(workDir, "mirror.tar")], {
      cwd: workDir, env: env({ HTTP_PROXY: proxy.url, DOCKERDL_PROXY: worker }),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(fixtureImage("test/single").digest);
    expect(proxy.targets).toContain(hostOf(worker));
    expect(proxy.targets).not.toContain(registry);
  });

  it("--proxy wins over DOCKERDL_PROXY", async () => {
    const result = await runCli(["pull", "test/single:v1", "--proxy", worker, "-o", join(workDir, "flag.tar")], {
      cwd: workDir, env: env({ DOCKERDL_PROXY: "http://127.0.0.1:1" }),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("dockerdl pull --proxy https:// for a mirror that speaks http", () => {
  it("says the mirror speaks http and what to write instead, without an OpenSSL code", async () => {
    const https = worker.replace(/^http:/, "https:");
    const dir = join(workDir, "scheme");
    const result = await runCli(["pull", "test/single:v1", "--proxy", https, "-o", join(dir, "x.tar")], { cwd: workDir, env: env({}) });
    expect(result.code).toBe(1);
    const [first, second] = result.stderr.split("\n");
    expect(first).toBe(`dockerdl: error: the mirror at ${https} speaks http, not https; use ${worker}`);
    expect(second).toMatch(/^ {2}hint: give --proxy http:\/\//);
    expect(result.stderr).not.toMatch(/ERR_|SSL|ssl3/);
  });
});
