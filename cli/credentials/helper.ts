// Asks a docker credential helper (docker-credential-<name> on PATH) for a registry's
// credentials, in the docker-credential-helpers protocol: `get` with the server URL on
// stdin, answered with {"ServerURL","Username","Secret"} on stdout, or a non-zero exit
// and "credentials not found…" when it has none.
import { spawn } from "node:child_process";
import type { Credentials } from "../../shared/registry/client.ts";

const OUTPUT_LIMIT = 64 << 10;
const TIMEOUT_MS = 60_000;

export type HelperAnswer =
  | { kind: "found"; credentials: Credentials }
  | { kind: "not-found" | "missing" | "failed"; detail: string };

export function isHelperName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name);
}

export function askHelper(name: string, serverUrl: string, env: NodeJS.ProcessEnv): Promise<HelperAnswer> {
  const program = `docker-credential-${name}`;
  if (!isHelperName(name)) return Promise.resolve({ kind: "failed", detail: `${JSON.stringify(name)} is not a credential helper name` });
  return new Promise((resolve) => {
    const child = spawn(program, ["get"], { env, stdio: ["pipe", "pipe", "pipe"] });
    // Not spawn's `timeout`: its timer outlives a helper that is not installed, and holds
    // the process open for the whole time.
    const timer = setTimeout(() => child.kill(), TIMEOUT_MS);
    const finish = (answer: HelperAnswer) => {
      clearTimeout(timer);
      resolve(answer);
    };
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      if (out.length > OUTPUT_LIMIT) child.kill();
    });
    child.stderr.on("data", (d: Buffer) => {
      if (err.length < OUTPUT_LIMIT) err += d.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      finish(error.code === "ENOENT" ? { kind: "missing", detail: `${program} is not on PATH` } : { kind: "failed", detail: `${program}: ${error.message}` });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(serverUrl);
    child.on("close", (code) => {
      if (code !== 0) {
        const said = (out || err).trim().slice(0, 200);
        finish(/not found/i.test(said) ? { kind: "not-found", detail: `${program} has none` } : { kind: "failed", detail: `${program} failed (exit status ${code})${said ? `: ${said}` : ""}` });
        return;
      }
      try {
        const answer = JSON.parse(out) as { Username?: unknown; Secret?: unknown };
        if (typeof answer.Username !== "string" || typeof answer.Secret !== "string" || answer.Secret === "") throw new Error("no Username and Secret");
        if (answer.Username === "<token>") {
          finish({ kind: "failed", detail: `${program} holds an identity token, which dockerdl cannot use; give --username and --password-stdin` });
          return;
        }
        finish({ kind: "found", credentials: { username: answer.Username, password: answer.Secret } });
      } catch (error) {
        finish({ kind: "failed", detail: `${program} answered something that is not credentials (${(error as Error).message})` });
      }
    });
  });
}
