// Registry credentials a person already stored with `docker login` or `podman login`,
// looked up as those tools do: $REGISTRY_AUTH_FILE, then docker's config.json
// ($DOCKER_CONFIG, else ~/.docker) with its credential helpers (credHelpers, credsStore),
// then containers' auth.json ($XDG_RUNTIME_DIR/containers, then ~/.config/containers).
// The first file with an entry for the registry wins. Only the registry asked about is
// looked up, so credentials go nowhere else; -v names the source, never the secret.
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Credentials } from "../../shared/registry/client.ts";
import { askHelper } from "./helper.ts";
import { helperServerUrl, matchKey } from "./registry-key.ts";

export interface StoredCredentials {
  credentials: Credentials;
  /** Where they came from, for -v: a file, and the helper if one answered. */
  source: string;
}

interface AuthFile {
  auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown }>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

const FILE_LIMIT = 1 << 20;

export function authFiles(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME || homedir();
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  files.push(join(env.DOCKER_CONFIG || join(home, ".docker"), "config.json"));
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  files.push(join(home, ".config", "containers", "auth.json"));
  return files;
}

export async function findStoredCredentials(registry: string, repository: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<StoredCredentials | undefined> {
  for (const file of authFiles(env)) {
    const config = await readAuthFile(file, log);
    if (config === undefined) continue;
    const helperKey = matchKey(Object.keys(config.credHelpers ?? {}), registry, repository);
    const helper = helperKey === undefined ? config.credsStore : config.credHelpers?.[helperKey];
    if (typeof helper === "string" && helper !== "") {
      const answer = await askHelper(helper, helperServerUrl(registry), env);
      if (answer.kind === "found") return { credentials: answer.credentials, source: `${file} (credential helper docker-credential-${helper})` };
      log(`credentials for ${registry}: ${answer.detail} (named in ${file})`);
    }
    const key = matchKey(Object.keys(config.auths ?? {}), registry, repository);
    if (key === undefined) continue;
    const credentials = decodeEntry(config.auths?.[key]);
    if (credentials !== undefined) return { credentials, source: `${file} (entry ${JSON.stringify(key)})` };
    log(`credentials for ${registry}: the entry ${JSON.stringify(key)} in ${file} has no username and password dockerdl can use`);
  }
  return undefined;
}

async function readAuthFile(file: string, log: (line: string) => void): Promise<AuthFile | undefined> {
  let text: string;
  try {
    const handle = await open(file, "r");
    try {
      const buffer = Buffer.alloc(FILE_LIMIT + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > FILE_LIMIT) {
        log(`${file} is larger than ${FILE_LIMIT} bytes; not read`);
        return undefined;
      }
      text = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") log(`${file} cannot be read (${code ?? String(error)}); skipped`);
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
    return parsed as AuthFile;
  } catch (error) {
    log(`${file} is not valid JSON (${(error as Error).message}); skipped`);
    return undefined;
  }
}

/** An `auths` entry: base64 "user:password" in `auth`, or `username` and `password`. */
function decodeEntry(entry: AuthFile["auths"] extends Record<string, infer E> | undefined ? E | undefined : never): Credentials | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0 && colon < decoded.length - 1) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === "string" && typeof entry.password === "string" && entry.username !== "" && entry.password !== "") {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}
