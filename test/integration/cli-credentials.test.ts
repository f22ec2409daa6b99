// Credentials stored by `docker login` and `podman login`, read by the CLI: docker's
// config.json (DOCKER_CONFIG) with plain `auths`, `credHelpers` and `credsStore` (a
// credential helper on PATH speaking the docker-credential-helpers protocol),
// REGISTRY_AUTH_FILE and containers' auth.json; --username/--password-stdin win; a
// registry's credentials never go to a mirror; -v names the source, never the secret.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { podmanLoad } from "../harness/podman.ts";
import { hostOf, runCli } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const { username, password } = harness.user;
const work = mkdtempSync(join(tmpdir(), "dockerdl-cli-creds-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const auth = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString("base64");
const secret = fixtureImage("private/secret");

// A credential helper as docker-credential-helpers' programs behave: `get` reads the
// server URL on stdin and answers JSON, or exits 1 with "credentials not found…".
const helperDir = join(work, "bin");
const helperLog = join(work, "helper.log");
mkdirSync(helperDir);
writeFileSync(join(helperDir, "docker-credential-dockerdl-test"), `#!/bin/sh
server=$(cat)
echo "$1 $server" >> "${helperLog}"
if [ "$1" = get ] && [ "$server" = "${registry}" ]; then
  printf '{"ServerURL":"%s","Username":"${username}","Secret":"${password}"}\\n' "$server"
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
`);
chmodSync(join(helperDir, "docker-credential-dockerdl-test"), 0o755);

let n = 0;
/** A fresh HOME (nothing stored there) plus the given files; returns the env for the CLI. */
function setup(files: Record<string, object>, extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; home: string } {
  const home = join(work, `home-${n++}`);
  for (const [path, json] of Object.entries(files)) {
    mkdirSync(join(home, path, ".."), { recursive: true });
    writeFileSync(join(home, path), JSON.stringify(json));
  }
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DOCKER_CONFIG|REGISTRY_AUTH_FILE|XDG_RUNTIME_DIR|(https?|no)_proxy)$/i.test(k)));
  const env = { ...clean, HOME: home, PATH: `${helperDir}:${process.env.PATH ?? ""}`, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v.replace("$HOME", home)])) };
  return { env, home };
}

async function pullPrivate(env: NodeJS.ProcessEnv, args: string[] = [], stdin?: string) {
  const output = join(work, `out-${n++}.tar`);
  const result = await runCli(["pull", `${registry}/private/secret:v1`, "-v", "-o", output, ...args], { cwd: work, env, ...(stdin === undefined ? {} : { stdin }) });
  expect(result.stderr).not.toContain(password);
  return { ...result, output };
}

describe("dockerdl pull with stored credentials", () => {
  it("a plain auths entry in $DOCKER_CONFIG/config.json; the tar loads", async () => {
    const { env, home } = setup({ "docker/config.json": { auths: { [registry]: { auth: auth(username, password) } } } }, { DOCKER_CONFIG: "$HOME/docker" });
    const result = await pullPrivate(env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`credentials for ${registry}: from ${join(home, "docker", "config.json")} (entry "${registry}")`);
    expect(result.stdout).toContain(secret.digest);
    expect((await podmanLoad(result.output)).images.map((i) => i.name)).toEqual([`${registry}/private/secret:v1`]);
  });

  it("~/.docker/config.json with the key written as a URL", async () => {
    const { env } = setup({ ".docker/config.json": { auths: { [`http://${registry}/v2/`]: { auth: auth(username, password) } } } });
    expect((await pullPrivate(env)).code).toBe(0);
  });

  it("credHelpers: asks docker-credential-<name> get with the registry on stdin", async () => {
    writeFileSync(helperLog, "");
    const { env } = setup({ ".docker/config.json": { auths: { [registry]: {} }, credHelpers: { [registry]: "dockerdl-test" } } });
    const result = await pullPrivate(env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("(credential helper docker-credential-dockerdl-test)");
    expect(readFileSync(helperLog, "utf8")).toBe(`get ${registry}\n`);
  });

  it("credsStore: the helper for every registry; a helper that has none leaves the pull anonymous", async () => {
    writeFileSync(helperLog, "");
    const { env } = setup({ ".docker/config.json": { credsStore: "dockerdl-test" } });
    expect((await pullPrivate(env)).code).toBe(0);
    const other = await runCli(["pull", `${hostOf(harness.basicRegistry)}/test/single:v1`, "-v", "-o", join(work, "other.tar")], { cwd: work, env });
    expect(other.stderr).toContain("docker-credential-dockerdl-test has none");
    expect(readFileSync(helperLog, "utf8")).toBe(`get ${registry}\nget ${hostOf(harness.basicRegistry)}\n`);
  });

  it("a helper that is not installed: says so under -v and uses the plain entry", async () => {
    const { env } = setup({ ".docker/config.json": { auths: { [registry]: { auth: auth(username, password) } }, credsStore: "absent-helper" } });
    const result = await pullPrivate(env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("docker-credential-absent-helper is not on PATH");
  });

  it("REGISTRY_AUTH_FILE with podman's repository-path key", async () => {
    const { env } = setup({ "auth.json": { auths: { [`${registry}/private`]: { auth: auth(username, password) }, [registry]: { auth: auth(username, "wrong") } } } }, { REGISTRY_AUTH_FILE: "$HOME/auth.json" });
    expect((await pullPrivate(env)).code).toBe(0);
  });

  it("$XDG_RUNTIME_DIR/containers/auth.json, then ~/.config/containers/auth.json", async () => {
    const xdg = setup({ "run/containers/auth.json": { auths: { [registry]: { auth: auth(username, password) } } } }, { XDG_RUNTIME_DIR: "$HOME/run" });
    expect((await pullPrivate(xdg.env)).code).toBe(0);
    const config = setup({ ".config/containers/auth.json": { auths: { [registry]: { auth: auth(username, password) } } } });
    expect((await pullPrivate(config.env)).code).toBe(0);
  });

  it("--username/--password-stdin win over a stored (wrong) entry", async () => {
    const { env, home } = setup({ ".docker/config.json": { auths: { [registry]: { auth: auth(username, "wrong") } } } });
    const stored = await pullPrivate(env);
    expect(stored.code).toBe(1);
    expect(stored.stderr).toMatch(/rejected the username or password/);
    // The hint names where the rejected credentials came from (#16).
    expect(stored.stderr).toContain(`hint: the username and password were read from ${join(home, ".docker/config.json")} (entry ${JSON.stringify(registry)}): log in again (docker login or podman login), or give them with --username and --password-stdin`);
    const given = await pullPrivate(env, ["--username", username, "--password-stdin"], password);
    expect(given.code).toBe(0);
    expect(given.stderr).toContain(`credentials for ${registry}: --username ${username} and --password-stdin`);
  });

  it("a registry's stored credentials are not sent to a mirror (--proxy): the private image is refused there", async () => {
    const { env } = setup({ ".docker/config.json": { auths: { [registry]: { auth: auth(username, password) }, "docker.io": { auth: auth(username, password) } } } });
    const result = await runCli(["pull", "private/secret:v1", "--proxy", worker, "-v", "-o", join(work, "mirror.tar")], { cwd: work, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`credentials for ${hostOf(worker)}: none stored`);
    expect(result.stderr).toMatch(/refused access to private\/secret:v1/);
  });

  it("a bundle from two registries: each gets its own stored credentials, never the other's; --username is refused", async () => {
    // The same registry under a second name: to the CLI another registry, to the test one that would accept the first name's credentials.
    const other = registry.replace(/^127\.0\.0\.1:/, "localhost:");
    const images = [`${registry}/private/secret:v1`, `${other}/private/secret:v1`];
    const one = setup({ ".docker/config.json": { auths: { [registry]: { auth: auth(username, password) } } } });
    const refused = await runCli(["pull", ...images, "-v", "-o", join(work, "two-one.tar")], { cwd: work, env: one.env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`credentials for ${registry}: from ${join(one.home, ".docker/config.json")}`);
    expect(refused.stderr).toContain(`credentials for ${other}: none stored`);
    expect(refused.stderr).toMatch(/refused access to localhost:\d+\/private\/secret:v1/);

    const both = setup({ ".docker/config.json": { auths: { [registry]: { auth: auth(username, password) }, [other]: { auth: auth(username, password) } } } });
    const output = join(work, "two-both.tar");
    const pulled = await runCli(["pull", ...images, "-o", output], { cwd: work, env: both.env });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect((await podmanLoad(output)).images.map((i) => i.name).sort()).toEqual([...images].sort());

    const flagged = await runCli(["pull", ...images, "--username", username, "--password-stdin", "-o", join(work, "two-flag.tar")], { cwd: work, env: both.env, stdin: password });
    expect(flagged.code).toBe(2);
    expect(flagged.stderr).toContain(`--username signs in to one registry, but these images come from ${registry}, ${other}`);
  });
});
