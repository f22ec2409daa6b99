// Starts the real registry (Debian's docker-registry, distribution 2.8) on a free
// loopback port, in one of three modes: token auth like Docker Hub, htpasswd Basic auth
// like a private registry, or no auth.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitForHttp } from "./net.ts";
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

export async function startRegistry(name: string, dir: string, auth: RegistryAuth): Promise<Registry> {
  mkdirSync(join(dir, "storage"), { recursive: true });
  const port = await freePort();
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: false",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "storage")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    "  secret: dockerdl-test-secret",
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
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/`, 15_000, () => `(see ${process.logFile})`);
  return { url, host: `127.0.0.1:${port}`, dir, process, stop: () => process.stop() };
}
