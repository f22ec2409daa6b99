// Real registry clients pointed at the mirror, for the proxy suites: skopeo, podman (in a
// throw-away --root) and containerd's ctr (against a containerd started in a temp dir,
// with a hosts.toml mirror, so it sends ?ns=). Each returns exit status and output
// rather than throwing, so tests can assert refusals too.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "./net.ts";
import { startProcess, type Started } from "./processes.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `skopeo copy docker://<host>/<image> oci:<dir>` with the given extra flags. */
export function skopeoCopy(host: string, image: string, dir: string, flags: string[] = []): Promise<RunResult> {
  return run("skopeo", ["copy", "--quiet", "--src-tls-verify=false", ...flags, `docker://${host}/${image}`, `oci:${dir}`]);
}

/** A podman with its own storage, so pulls never touch (or depend on) the machine's. */
export function podman(dir: string) {
  const base = ["--root", join(dir, "root"), "--runroot", join(dir, "run"), "--storage-driver", "vfs", "--tmpdir", join(dir, "tmp"), "--events-backend", "none"];
  mkdirSync(join(dir, "tmp"), { recursive: true });
  return {
    pull: (image: string, flags: string[] = []) => run("podman", [...base, "pull", "--tls-verify=false", ...flags, image]),
    inspect: (image: string, format: string) => run("podman", [...base, "image", "inspect", "--format", format, image]),
  };
}

export interface Containerd {
  socket: string;
  /** Writes hosts.toml files sending `registries` to the mirror, as containerd's docs show. */
  mirrorHostsDir(mirror: string, registries: string[]): string;
  ctr(args: string[]): Promise<RunResult>;
  stop(): Promise<void>;
}

/** containerd on a unix socket in a temp dir, with its own root and state; only the plugins a pull needs. */
export async function startContainerd(): Promise<Containerd> {
  const dir = mkdtempSync(join(tmpdir(), "dockerdl-containerd-"));
  const socket = join(dir, "containerd.sock");
  const config = join(dir, "config.toml");
  writeFileSync(config, [
    "version = 2",
    `root = "${join(dir, "root")}"`,
    `state = "${join(dir, "state")}"`,
    `disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]`,
    "[grpc]", `  address = "${socket}"`,
    "[ttrpc]", `  address = "${socket}.ttrpc"`,
    "[debug]", `  address = ""`,
    "[metrics]", `  address = ""`,
  ].join("\n") + "\n");
  const process: Started = startProcess("containerd", "containerd", ["--config", config], { logDir: dir });
  let probe: RunResult | undefined;
  await waitUntil(
    async () => (probe = await run("ctr", ["-a", socket, "version"], 5000)).code === 0,
    15_000,
    () => `containerd did not start (see ${process.logFile}): ${probe?.stderr ?? ""}`,
    200,
  );
  return {
    socket,
    mirrorHostsDir(mirror, registries) {
      const hostsDir = join(dir, `hosts-${Date.now()}`);
      for (const registry of registries) {
        mkdirSync(join(hostsDir, registry), { recursive: true });
        writeFileSync(join(hostsDir, registry, "hosts.toml"), `server = "https://${registry}"\n\n[host."${mirror}"]\n  capabilities = ["pull", "resolve"]\n`);
      }
      return hostsDir;
    },
    ctr: (args) => run("ctr", ["-a", socket, ...args]),
    stop: () => process.stop(),
  };
}
