// Maps a client's /v2/ path to an upstream registry and repository. The first path
// component (or containerd's ?ns=) is a key into UPSTREAMS, never a host to connect to,
// so the proxy cannot be turned into an open proxy. The name, tag and digest grammar is
// the one references are parsed with (shared/reference.ts, shared/digest.ts).
import { digestProblem, isDigest } from "../../shared/digest.ts";
import { fullNameLength, isPathComponent, isTag, NAME_MAX, namesRegistry, registryRepository } from "../../shared/reference.ts";
import { notServed, type NotServedDetail } from "../../shared/registry/not-served.ts";
import type { Config } from "../config.ts";

export type V2Kind = "manifests" | "blobs" | "tags";

export interface V2Route {
  kind: V2Kind;
  /** The UPSTREAMS key, e.g. "docker.io". */
  key: string;
  upstream: URL;
  /** The repository as the client named it in the path (e.g. "ghcr.io/o/a" or "ubuntu"). */
  clientName: string;
  /** The repository on the upstream registry (e.g. "o/a" or "library/ubuntu"). */
  upstreamName: string;
  /** Tag or digest for manifests, digest for blobs, "list" for tags. */
  reference: string;
}

export class RouteError extends Error {
  readonly status: number;
  readonly code: "NAME_INVALID" | "NAME_UNKNOWN" | "TAG_INVALID" | "DIGEST_INVALID" | "UNSUPPORTED";
  /** The error's `detail`: a marker a client reads instead of the message's words. */
  readonly detail?: NotServedDetail;
  constructor(status: number, code: RouteError["code"], message: string, detail?: NotServedDetail) {
    super(message);
    this.status = status;
    this.code = code;
    if (detail !== undefined) this.detail = detail;
  }
}

/** Splits "/v2/<name>/<kind>/<reference>"; null for "/v2/" itself. */
export function parseV2Path(pathname: string, search: URLSearchParams, config: Config): V2Route | null {
  const rest = pathname.replace(/^\/v2\/?/, "");
  if (rest === "") return null;
  let match = /^(.+)\/(manifests|blobs)\/([^/]+)$/.exec(rest);
  let kind: V2Kind;
  let name: string;
  let reference: string;
  if (match) {
    name = match[1];
    kind = match[2] as V2Kind;
    reference = decodeReference(match[3], kind);
  } else if ((match = /^(.+)\/tags\/list$/.exec(rest))) {
    name = match[1];
    kind = "tags";
    reference = "list";
  } else {
    throw new RouteError(404, "UNSUPPORTED", `unsupported path ${pathname}: this mirror serves /v2/<name>/manifests/<ref>, /v2/<name>/blobs/<digest> and /v2/<name>/tags/list`);
  }
  const resolved = resolveRepository(name, search.get("ns"), config);
  if (kind === "blobs" && !isDigest(reference)) {
    throw new RouteError(400, "DIGEST_INVALID", `"${reference}" is not a sha256 digest: ${digestProblem(reference)}`);
  }
  if (kind === "manifests" && !isDigest(reference) && !isTag(reference)) {
    throw new RouteError(400, "TAG_INVALID", `"${reference}" is neither a valid tag nor a sha256 digest`);
  }
  return { kind, reference, ...resolved };
}

/** A percent-encoded reference; a bad escape or invalid UTF-8 is the client's mistake, a 400. */
function decodeReference(raw: string, kind: V2Kind): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    if (kind === "blobs") throw new RouteError(400, "DIGEST_INVALID", `the digest ${JSON.stringify(raw)} is not valid percent-encoded UTF-8`);
    throw new RouteError(400, "TAG_INVALID", `the reference ${JSON.stringify(raw)} is not valid percent-encoded UTF-8`);
  }
}

export function resolveRepository(name: string, ns: string | null, config: Config): Pick<V2Route, "key" | "upstream" | "clientName" | "upstreamName"> {
  const components = name.split("/");
  let key = "docker.io";
  let repoComponents = components;
  if (ns) {
    key = ns.toLowerCase();
    if (!config.upstreams.has(key)) throw unknownRegistry(key, config);
    if (components.length > 1 && components[0] === key) repoComponents = components.slice(1);
  } else if (components.length > 1 && (config.upstreams.has(components[0]) || namesRegistry(components[0]))) {
    key = components[0];
    if (!config.upstreams.has(key)) throw unknownRegistry(key, config);
    repoComponents = components.slice(1);
  }
  const upstream = config.upstreams.get(key);
  if (!upstream) throw unknownRegistry(key, config);
  for (const component of repoComponents) {
    if (!isPathComponent(component)) {
      throw new RouteError(400, "NAME_INVALID", `invalid repository name "${name}": "${component}" must be lowercase letters, digits and separators (. _ __ -)`);
    }
  }
  const upstreamName = registryRepository(key, repoComponents.join("/"));
  const length = fullNameLength(key, upstreamName);
  if (length > NAME_MAX) {
    throw new RouteError(400, "NAME_INVALID", `the repository name is ${length} characters long with its registry (${key}/…); the limit is ${NAME_MAX}`);
  }
  return { key, upstream, clientName: name, upstreamName };
}

/** A registry with no upstream here, in the one wording with its marker (shared/registry/not-served.ts). */
export function unknownRegistry(key: string, config: Config): RouteError {
  const { message, detail } = notServed(key, [...config.upstreams.keys()]);
  return new RouteError(404, "NAME_UNKNOWN", message, detail);
}
