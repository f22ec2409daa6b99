// Starts every real part a suite needs, in one call, and stops them all in one call:
// a token server + registry with Hub-like token auth, a registry with htpasswd Basic
// auth, the fixture images in both, and optionally the Worker under `wrangler dev`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeHub, type FakeHub } from "./fake-hub.ts";
import { fixtureDefinitions, pushFixtures, type FixtureImage } from "./fixtures.ts";
import { buildImage } from "./image-builder.ts";
import { stopAll } from "./processes.ts";
import { BASIC_USER, REGISTRY_SERVICE, startRegistry } from "./registry.ts";
import { PUSH_USER, startTokenServer, TEST_USER, type TokenServer } from "./token-server.ts";
import { startWorker, type RunningWorker } from "./wrangler.ts";

/** Registry names (UPSTREAMS keys) the Worker is given in tests. */
export const HUB_KEY = "docker.io";
export const TOKEN_REGISTRY_KEY = "auth.test";
export const BASIC_REGISTRY_KEY = "basic.test";

export interface HarnessInfo {
  workDir: string;
  tokenServer: string;
  registry: string;
  basicRegistry: string;
  worker?: string;
  /** The fake Docker Hub web API (HUB_API of the Worker). */
  hubApi: string;
  upstreams: Record<string, string>;
  fixtures: FixtureImage[];
  basicFixtures: FixtureImage[];
  user: { username: string; password: string };
  /** Can push to the token-auth registry (for tests that need an image of their own). */
  pushUser: { username: string; password: string };
  basicUser: { username: string; password: string };
}

export interface Harness {
  info: HarnessInfo;
  tokenServer: TokenServer;
  hub: FakeHub;
  worker?: RunningWorker;
  stop(): Promise<void>;
}

export async function startHarness(options: { worker?: boolean; workDir?: string; keep?: boolean } = {}): Promise<Harness> {
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "dockerdl-harness-"));
  // However the process ends (Ctrl-C, SIGTERM, a failed start), its temp folder goes with
  // it; processes.ts's exit handler, registered first, has killed the children by then.
  const removeWorkDir = () => rmSync(workDir, { recursive: true, force: true });
  if (!options.keep) process.once("exit", removeWorkDir);
  let tokenServer: TokenServer | undefined;
  let hub: FakeHub | undefined;
  try {
    tokenServer = await startTokenServer(workDir);
    const registry = await startRegistry("token", join(workDir, "registry-token"), { kind: "token", realm: tokenServer.realm, certFile: tokenServer.certFile });
    const basicRegistry = await startRegistry("basic", join(workDir, "registry-basic"), { kind: "htpasswd" });

    const server = tokenServer;
    const fixtures = await pushFixtures({
      url: registry.url,
      authorization: (repository) => `Bearer ${server.mintToken(REGISTRY_SERVICE, [{ type: "repository", name: repository, actions: ["pull", "push"] }], "harness")}`,
    });
    const basicAuth = `Basic ${Buffer.from(`${BASIC_USER.username}:${BASIC_USER.password}`).toString("base64")}`;
    const basicFixtures = await pushFixtures({ url: basicRegistry.url, authorization: () => basicAuth }, [
      { repository: "team/tool", tag: "v1", built: buildImage({ layers: [[{ path: "tool.txt", content: "team tool\n" }]] }) },
      ...fixtureDefinitions().filter((d) => d.repository === "test/single"),
    ]);

    const upstreams = { [HUB_KEY]: registry.url, [TOKEN_REGISTRY_KEY]: registry.url, [BASIC_REGISTRY_KEY]: basicRegistry.url };
    hub = await startFakeHub();
    const fakeHub = hub;
    let worker: RunningWorker | undefined;
    if (options.worker) {
      // Every suite shares this Worker from one address, so no per-client limit here
      // (test/integration/proxy-rate-limit.test.ts starts its own Worker to test it).
      worker = await startWorker({ upstreams, hubApi: fakeHub.url, vars: { RATE_LIMIT: "0" }, persistDir: join(workDir, "wrangler-state"), logDir: workDir });
    }
    const info: HarnessInfo = {
      workDir,
      tokenServer: tokenServer.url,
      registry: registry.url,
      basicRegistry: basicRegistry.url,
      worker: worker?.url,
      hubApi: fakeHub.url,
      upstreams,
      fixtures,
      basicFixtures,
      user: TEST_USER,
      pushUser: PUSH_USER,
      basicUser: BASIC_USER,
    };
    return {
      info,
      tokenServer,
      hub: fakeHub,
      worker,
      async stop() {
        await stopAll();
        await server.stop();
        await fakeHub.stop();
        if (!options.keep) removeWorkDir();
      },
    };
  } catch (error) {
    await stopAll();
    await tokenServer?.stop();
    await hub?.stop();
    throw error;
  }
}
