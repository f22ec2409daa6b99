// The mirror with the operator's Docker Hub account (UPSTREAM_AUTH) in front of the zoo's
// Hub-like member, which counts anonymous pulls per address and an account's pulls per
// account (members.ts cites Hub's docs): anonymous clients keep pulling public images
// once the anonymous limit is spent, never get the account's private repository, and
// never see the password or a token the account obtained, nor does the Worker's log.
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { test as base } from "../harness/fixtures-vitest.ts";
import { buildImage, noise } from "../harness/image-builder.ts";
import { skopeoToOci } from "../harness/podman.ts";
import { startZoo, type Zoo } from "../harness/zoo/index.ts";
import { runCli } from "./cli-helpers.ts";

const OPERATOR = { username: "operator", password: "zoo-operator-Pa55word" };
const PRIVATE = "operator/secret";

const test = base.extend<{ $file: { zoo: Zoo } }>({
  zoo: [
    async ({}, use) => {
      const zoo = await startZoo({ worker: true, members: ["hub"], vars: { UPSTREAM_AUTH: JSON.stringify({ "docker.io": OPERATOR }) } });
      zoo.state.accounts.set(OPERATOR.username, OPERATOR.password);
      zoo.state.privateRepositories.set(`hub/${PRIVATE}`, OPERATOR.username);
      await zoo.push("hub", PRIVATE, "v1", buildImage({ layers: [[{ path: "secret.txt", content: "the operator's own\n" }]] }));
      await use(zoo);
      await zoo.stop();
    },
    { scope: "file" },
  ],
});

/** A Hub image no cache holds yet; its name as the CLI gives it to the mirror. */
async function freshImage(zoo: Zoo, name: string): Promise<string> {
  await zoo.push("hub", `library/${name}`, "v1", buildImage({ layers: [[{ path: "noise.bin", content: noise(`zoo/auth/${name}`, 64 << 10) }]] }));
  return `${name}:v1`;
}

/** Everything that must never leave the Worker: the password, its Basic form, every token the account got. */
function secrets(zoo: Zoo): string[] {
  return [OPERATOR.password, Buffer.from(`${OPERATOR.username}:${OPERATOR.password}`).toString("base64"), ...zoo.state.tokensOf(OPERATOR.username)];
}

describe("UPSTREAM_AUTH in front of the Hub-like member", () => {
  test("anonymous pulls keep working once the anonymous limit is spent, counted against the operator's account", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    zoo.state.hubLimit = 0;
    try {
      const worker = zoo.worker!.url;
      // The limit is spent for anyone pulling anonymously from this address…
      await freshImage(zoo, "direct-limited");
      const direct = await runCli(["pull", `${new URL(zoo.members.hub.url).host}/library/direct-limited:v1`, "-o", join(tempDir, "direct.tar")], { cwd: tempDir });
      expect(direct.code).toBe(1);
      expect(direct.stderr).toMatch(/rate.?limit/i);
      // …but the mirror's anonymous clients pull on the operator's account.
      const output = join(mkdtempSync(join(tempDir, "after-limit-")), "image.tar");
      const pulled = await runCli(["pull", await freshImage(zoo, "after-limit"), "--proxy", worker, "-o", output], { cwd: tempDir });
      expect(pulled.stderr).toBe("");
      expect(pulled.code).toBe(0);
      await skopeoToOci(output);
      expect(zoo.state.hubAccountCounts.get(OPERATOR.username)).toBeGreaterThan(0);
      expect(zoo.state.log.filter((e) => e.status === 429 && e.account !== undefined)).toEqual([]);
      expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
    } finally {
      zoo.state.hubLimit = 1000;
    }
  });

  test("an anonymous client cannot pull the account's private repository through the mirror", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    const worker = zoo.worker!.url;
    // The account is lent on this mirror…
    const open = await runCli(["pull", await freshImage(zoo, "open"), "--proxy", worker, "-o", join(tempDir, "open.tar")], { cwd: tempDir });
    expect(open.code, open.stderr).toBe(0);
    expect(zoo.state.hubAccountCounts.get(OPERATOR.username)).toBeGreaterThan(0);
    // …and can read the private repository (signed in directly)…
    const own = await runCli(["pull", `${new URL(zoo.members.hub.url).host}/${PRIVATE}:v1`, "--username", OPERATOR.username, "--password-stdin", "-o", join(tempDir, "own.tar")], { cwd: tempDir, stdin: OPERATOR.password });
    expect(own.code, own.stderr).toBe(0);
    // …but an anonymous client of the mirror is refused it, and no request for it carried the account's token.
    const before = zoo.state.log.length;
    const output = join(tempDir, "secret.tar");
    const refused = await runCli(["pull", `${PRIVATE}:v1`, "--proxy", worker, "-o", output], { cwd: tempDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused|unauthori[sz]ed|authentication/i);
    const forPrivate = zoo.state.log.slice(before).filter((e) => e.path.includes(PRIVATE));
    expect(forPrivate.length).toBeGreaterThan(0);
    expect(forPrivate.filter((e) => e.account !== undefined)).toEqual([]);
  });

  test("no answer of the Worker, and nothing in its log, carries the password or a token the account obtained", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    const worker = zoo.worker!.url;
    const image = await freshImage(zoo, "watched");
    const pulled = await runCli(["pull", image, "--proxy", worker, "-o", join(tempDir, "watched.tar")], { cwd: tempDir });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(zoo.state.hubAccountCounts.get(OPERATOR.username)).toBeGreaterThan(0);
    const answers = [pulled.stdout, pulled.stderr];
    const scope = (name: string) => `scope=${encodeURIComponent(`repository:${name}:pull`)}`;
    const paths = ["/v2/", "/v2/library/watched/manifests/v1", "/v2/library/watched/manifests/nope", `/v2/${PRIVATE}/manifests/v1`, "/v2/library/watched/tags/list",
      `/token?service=docker.io&${scope("library/watched")}`, `/token?service=docker.io&${scope(PRIVATE)}`, "/api/image-details?image=watched:v1"];
    for (const path of paths) {
      for (const method of ["GET", "HEAD"]) {
        const response = await fetch(`${worker}${path}`, { method });
        answers.push(`${method} ${path} ${response.status}\n${headerLines(response)}\n${await response.text()}`);
      }
    }
    const log = readFileSync(zoo.worker!.process.logFile, "utf8");
    for (const secret of secrets(zoo)) {
      for (const answer of answers) expect(answer).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
  });
});

function headerLines(response: Response): string {
  const lines: string[] = [];
  response.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
  return lines.join("\n");
}
