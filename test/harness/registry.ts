// Starts the real registry (Debian's docker-registry, distribution 2.8) on a free
// loopback port, in one of three modes: token auth like Docker Hub, htpasswd Basic auth
// like a private registry, or no auth; optionally over TLS (http.tls) and on another
// registry's storage (a second front door to the same images).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { freePort, waitForHttp, waitUntil } from "./net.ts";
import { startProcess, type Started } from "./processes.ts";
import { ISSUER } from "./token-server.ts";

export const REGISTRY_SERVICE = "dockerdl-test-registry";
export const BASIC_USER = { username: "basicuser", password: "basic-pass" };

export type RegistryAuth =
  | { kind: "none" }
  | { kind: "token"; realm: string; certFile: string }
  | { kind: "htpasswd" };

export interface Registry {
  url: string;
  host: string;
  dir: string;
  process: Started;
  stop(): Promise<void>;
}

export interface RegistryServing {
  /** PEM files: the registry then speaks https only. */
  tls?: { certificate: string; key: string };
  /** Another registry's storage folder, read from instead of a fresh one. */
  storage?: string;
}

export async function startRegistry(name: string, dir: string, auth: RegistryAuth, serving: RegistryServing = {}): Promise<Registry> {
  const storage = serving.storage ?? join(dir, "storage");
  mkdirSync(dir, { recursive: true });
  mkdirSync(storage, { recursive: true });
  const port = await freePort();
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: false",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    "  secret: dockerdl-test-secret",
    ...(serving.tls ? ["  tls:", `    certificate: ${serving.tls.certificate}`, `    key: ${serving.tls.key}`] : []),
  ];
  if (auth.kind === "token") {
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${auth.realm}`,
      `    service: ${REGISTRY_SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${auth.certFile}`,
    );
  } else if (auth.kind === "htpasswd") {
    const htpasswd = join(dir, "htpasswd");
    const line = execFileSync("htpasswd", ["-Bbn", BASIC_USER.username, BASIC_USER.password], { encoding: "utf8" });
    writeFileSync(htpasswd, line.trim() + "\n");
    lines.push("auth:", "  htpasswd:", "    realm: dockerdl-basic", `    path: ${htpasswd}`);
  }
  const configFile = join(dir, "config.yml");
  writeFileSync(configFile, lines.join("\n") + "\n");
  const process = startProcess(`registry-${name}`, "docker-registry", ["serve", configFile], { logDir: dir });
  const url = `${serving.tls ? "https" : "http"}://127.0.0.1:${port}`;
  if (serving.tls) await waitUntil(() => canConnect(port), 15_000, () => `${url} did not listen (see ${process.logFile})`);
  else await waitForHttp(`${url}/v2/`, 15_000, () => `(see ${process.logFile})`);
  return { url, host: `127.0.0.1:${port}`, dir, process, stop: () => process.stop() };
}

/** A TCP connection succeeds (a TLS registry's answer needs its CA, which the caller holds). */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}
