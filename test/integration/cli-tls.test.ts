// The CLI against a registry that speaks TLS with a certificate from a private CA (made
// with openssl here): without options it fails saying what to add; --ca-file trusts the
// CA, --tls-verify=false skips verification, and either works through an HTTPS proxy.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startForwardProxy, type ForwardProxy } from "../harness/forward-proxy.ts";
import { fixtureImage, harness } from "../harness/injected.ts";
import { podmanLoad } from "../harness/podman.ts";
import { startRegistry, type Registry } from "../harness/registry.ts";
import { runCli } from "./cli-helpers.ts";

const work = mkdtempSync(join(tmpdir(), "dockerdl-cli-tls-"));
const ca = join(work, "ca.pem");
let registry: Registry;
let proxy: ForwardProxy;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no)_proxy$/i.test(k)));

function openssl(...args: string[]) {
  execFileSync("openssl", args, { cwd: work, stdio: "ignore" });
}

beforeAll(async () => {
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-subj", "/CN=dockerdl test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", "ca.key", "-out", "ca.pem");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
  writeFileSync(join(work, "server.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-sha256", "-extfile", "server.ext", "-out", "server.pem");
  // A second, TLS-only front door to the harness registry's images (no auth).
  registry = await startRegistry("tls", join(work, "registry"), { kind: "none" }, {
    tls: { certificate: join(work, "server.pem"), key: join(work, "server.key") },
    storage: join(harness.workDir, "registry-token", "storage"),
  });
  proxy = await startForwardProxy();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await proxy?.stop();
  rmSync(work, { recursive: true, force: true });
});

const image = () => `${registry.host}/test/single:v1`;

describe("dockerdl pull from a TLS registry with a private CA", () => {
  const refusals = [
    { name: "without options (localhost means http): says it speaks https", args: [], message: () => `dockerdl: error: ${registry.host} speaks https, not http` },
    { name: "with --tls-verify=true: says the certificate is not trusted", args: ["--tls-verify=true"], message: () => `dockerdl: error: the TLS certificate of ${registry.host} is not trusted (signed by an unknown authority)` },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name}, naming --ca-file and --tls-verify=false; no file`, async () => {
      const dir = join(work, `refused-${r.args.length}`);
      const result = await runCli(["pull", image(), ...r.args, "-o", join(dir, "x.tar")], { cwd: work, env });
      expect(result.code).toBe(1);
      const [first, second] = result.stderr.split("\n");
      expect(first).toBe(r.message());
      expect(second).toMatch(/^ {2}hint: .*--ca-file .*--tls-verify=false/);
      expect(result.stderr).not.toMatch(/ERR_|SSL|UNABLE_TO/);
      expect(() => readdirSync(dir)).toThrow();
    });
  }

  it("--ca-file: trusts the CA; the tar loads", async () => {
    const output = join(work, "ca.tar");
    const result = await runCli(["pull", image(), "--ca-file", ca, "-o", output], { cwd: work, env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(fixtureImage("test/single").digest);
    expect((await podmanLoad(output)).images.map((i) => i.name)).toEqual([image()]);
  });

  it("--tls-verify=false: no verification, still https (-v says so)", async () => {
    const result = await runCli(["pull", image(), "--tls-verify=false", "-v", "-o", join(work, "noverify.tar")], { cwd: work, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(fixtureImage("test/single").digest);
    expect(result.stderr).toContain(`dockerdl: ${registry.host}: direct (no proxy variable set), TLS certificate not verified (--tls-verify=false)`);
  });

  it("--ca-file through HTTPS_PROXY: a CONNECT tunnel, the CA still checked", async () => {
    proxy.targets.length = 0;
    const result = await runCli(["pull", image(), "--ca-file", ca, "-o", join(work, "proxied.tar")], { cwd: work, env: { ...env, HTTPS_PROXY: proxy.url } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(proxy.targets).toContain(registry.host);
  });

  it("--ca-file naming a file that is not there: a usage error", async () => {
    const result = await runCli(["pull", image(), "--ca-file", join(work, "absent.pem"), "-o", join(work, "absent.tar")], { cwd: work, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^dockerdl: error: --ca-file .*absent\.pem cannot be read/);
  });
});
