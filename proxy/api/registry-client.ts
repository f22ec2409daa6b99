// Reads from a registry other than Docker Hub (ghcr.io, quay.io, …) for image-details:
// tags/list, manifests and configs, anonymously, doing the registry's token dance
// itself. Every request goes through the proxy's upstreamFetch, so only UPSTREAMS and
// the token realms and redirects they name are contacted, with the same address guard.
import { findChallenge } from "../../shared/www-authenticate.ts";
import { anonymousPullToken, TokenServiceError, upstreamFetch, v2Url } from "../upstream/fetch.ts";
import { ApiError } from "./errors.ts";

export interface RegistryTarget {
  /** The UPSTREAMS key, e.g. "ghcr.io". */
  key: string;
  upstream: URL;
  /** The repository on that registry, e.g. "owner/app". */
  repository: string;
}

const TIMEOUT_MS = 15_000;
const tokens = new Map<string, { token: string; expires: number }>();

/** GET /v2/<repository>/<path>, with an anonymous pull token when the registry asks for one. */
export async function registryGet(target: RegistryTarget, path: string, accept?: string): Promise<Response> {
  const url = v2Url(target.upstream, `${target.repository}/${path}`);
  const tokenKey = `${target.upstream.href}|${target.repository}`;
  const send = (token: string | undefined) => {
    const headers = new Headers();
    if (accept) headers.set("accept", accept);
    if (token) headers.set("authorization", `Bearer ${token}`);
    return fetchOrFail(url, headers, target);
  };
  const known = tokens.get(tokenKey);
  let response = await send(known && known.expires > Date.now() ? known.token : undefined);
  if (response.status === 401) {
    const challenge = findChallenge(response.headers.get("www-authenticate"), "bearer");
    await response.body?.cancel();
    if (!challenge?.params.realm) throw needsCredentials(target);
    const token = await anonymousToken(target, new URL(challenge.params.realm, target.upstream), challenge.params.service);
    tokens.set(tokenKey, { token, expires: Date.now() + 240_000 });
    response = await send(token);
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw needsCredentials(target);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new ApiError(404, "NOT_FOUND", `${target.key}/${target.repository} has no ${path.startsWith("tags/") ? "tag list" : path.replace(/\/.*$/, "")} "${path.split("/").pop()}" (the registry answered 404)`, {
      hint: "check the image name and tag",
    });
  }
  if (response.status === 429) {
    await response.body?.cancel();
    throw new ApiError(429, "RATE_LIMITED", `${target.key} is rate-limiting this mirror's requests`, { hint: "try again in a minute" });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ApiError(502, "UPSTREAM", `${target.key} answered ${response.status} for ${target.repository}/${path}`);
  }
  return response;
}

async function fetchOrFail(url: URL, headers: Headers, target: RegistryTarget): Promise<Response> {
  try {
    return await upstreamFetch(url, { method: "GET", headers, signal: AbortSignal.timeout(TIMEOUT_MS) }, target.upstream);
  } catch (error) {
    throw unreachable(target, error);
  }
}

function unreachable(target: RegistryTarget, error: unknown): ApiError {
  return new ApiError(502, "UPSTREAM", `could not reach registry ${target.key}: ${error instanceof Error ? error.message : String(error)}`);
}

async function anonymousToken(target: RegistryTarget, realm: URL, service: string | undefined): Promise<string> {
  try {
    return await anonymousPullToken(realm, service, target.repository, target.upstream, AbortSignal.timeout(TIMEOUT_MS));
  } catch (error) {
    if (error instanceof TokenServiceError) throw new ApiError(502, "UPSTREAM", `the token service of ${target.key} ${error.message}`);
    throw unreachable(target, error);
  }
}

function needsCredentials(target: RegistryTarget): ApiError {
  return new ApiError(401, "UNAUTHORIZED", `${target.key}/${target.repository} cannot be read anonymously`, {
    hint: "it may be private or may not exist; details of private images are not available through this API",
  });
}

export async function readBytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}
