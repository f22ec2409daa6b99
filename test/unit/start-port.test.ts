// `npm start` on a port another server holds: it stops before building, says which PORT
// and HOST, and never prints "ready" (it would be the other server answering).
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPortFree, parsePort } from "../../scripts/port-check.ts";

const root = join(import.meta.dirname, "..", "..");
let holder: Server;
let port = 0;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  port = (holder.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

function start(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(root, "scripts", "start.ts")], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out })));
}

describe("npm start refuses a port in use", () => {
  it("on localhost (the default HOST): exit 1, names the port and PORT, no ready line, no build", async () => {
    const { code, out } = await start({ PORT: String(port) });
    expect(code).toBe(1);
    expect(out).toContain(`port ${port} on localhost is already in use`);
    expect(out).toMatch(/PORT=\d+ npm start/);
    expect(out).not.toContain("dockerdl is ready");
  });

  it("on HOST=127.0.0.1 too", async () => {
    const { code, out } = await start({ PORT: String(port), HOST: "127.0.0.1" });
    expect(code).toBe(1);
    expect(out).toContain(`port ${port} on 127.0.0.1 is already in use`);
  });

  it("a PORT that is not a number", async () => {
    const { code, out } = await start({ PORT: "80a" });
    expect(code).toBe(1);
    expect(out).toContain("PORT=80a is not a port number");
  });

  it("a free port passes the check", async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const free = (other.address() as { port: number }).port;
    await new Promise<void>((resolve) => other.close(() => resolve()));
    await expect(assertPortFree("127.0.0.1", free)).resolves.toBeUndefined();
    await expect(assertPortFree("localhost", port)).rejects.toThrow(/already in use/);
    expect(parsePort("8787")).toBe(8787);
  });
});
