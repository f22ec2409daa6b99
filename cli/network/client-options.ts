// What the registry client needs from the command line and the environment: the HTTP
// stack (proxies, --ca-file, --tls-verify=false; http.ts) and the credentials, from
// --username/--password-stdin or else stored by docker/podman login (credentials/),
// looked up for the host requests really go to (the registry, or the --proxy mirror).
import { DockerdlError } from "../../shared/errors.ts";
import type { Reference } from "../../shared/reference.ts";
import { defaultBase, type Credentials, type RegistryClientOptions } from "../../shared/registry/client.ts";
import type { RegistryAccess } from "../args.ts";
import { findStoredCredentials } from "../credentials/stored.ts";
import { createHttp } from "./http.ts";
import type { SocketSlots } from "./socket-slots.ts";

export interface ClientIO {
  stderr: NodeJS.WritableStream;
  readPassword(): Promise<string>;
  env: NodeJS.ProcessEnv;
}

/** `sockets`: the pull's ceiling on sockets open at once, every host together (--connections). */
export async function registryClientOptions(cmd: RegistryAccess, ref: Reference, io: ClientIO, sockets?: SocketSlots): Promise<RegistryClientOptions> {
  const log = cmd.verbose ? (line: string) => void io.stderr.write(`dockerdl: ${line}\n`) : () => {};
  // TLS options say the registry speaks https, even on localhost (podman's --tls-verify too).
  const httpsAsked = cmd.caFile !== undefined || cmd.tlsVerify !== undefined;
  const plainBase = defaultBase(ref.registry, cmd.insecure);
  const endpoints = httpsAsked && cmd.proxy === undefined && plainBase.startsWith("http:") ? { [ref.registry]: `https://${ref.registry}` } : undefined;
  const base = new URL(cmd.proxy ?? endpoints?.[ref.registry] ?? plainBase);
  const fetch = createHttp({
    env: io.env,
    ...(cmd.caFile === undefined ? {} : { caFile: cmd.caFile }),
    ...(cmd.tlsVerify === false ? { unverifiedHosts: [base.hostname] } : {}),
    ...(cmd.proxy === undefined ? {} : { mirror: cmd.proxy }),
    ...(sockets === undefined ? {} : { sockets }),
    log,
  });
  const credentials = await credentialsFor(cmd, ref, base, io, log);
  return {
    fetch,
    ...(cmd.proxy === undefined ? {} : { proxy: cmd.proxy }),
    ...(endpoints === undefined ? {} : { endpoints }),
    ...(credentials === undefined ? {} : { credentials }),
    insecure: cmd.insecure,
  };
}

async function credentialsFor(cmd: RegistryAccess, ref: Reference, base: URL, io: ClientIO, log: (line: string) => void): Promise<Credentials | undefined> {
  if (cmd.username !== undefined) {
    const password = (await io.readPassword()).replace(/\r?\n$/, "");
    if (password === "") {
      throw new DockerdlError("USAGE", "--password-stdin read an empty password", { hint: 'pipe the password in, e.g. echo "$PASSWORD" | dockerdl pull … --password-stdin' });
    }
    log(`credentials for ${base.host}: --username ${cmd.username} and --password-stdin`);
    return { username: cmd.username, password };
  }
  // Through a mirror, requests go to the mirror: only its own entry may be sent there.
  const registry = cmd.proxy === undefined ? ref.registry : base.host;
  const stored = await findStoredCredentials(registry, ref.repository, io.env, log);
  log(stored === undefined ? `credentials for ${registry}: none stored, pulling anonymously` : `credentials for ${registry}: from ${stored.source}`);
  // The source goes with them, so a rejection names the file to log in again for (#16).
  return stored === undefined ? undefined : { ...stored.credentials, source: stored.source };
}
