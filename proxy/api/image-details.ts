// POST /api/image-details {image, page, limit} and GET /api/image-details?image=…:
// what the image page shows. Docker Hub images: description (short and full markdown),
// stars, pulls, last update and a page of tags with per-platform sizes and digests, all
// from Hub's web API. Other registries: a page of tag names from tags/list, and full
// platform details for the tag the reference names. Cached for DETAILS_TTL (30 min).
import type { ImageDetails, TagInfo } from "../../shared/seed-api.ts";
import { DOCKER_HUB, familiarRepository, formatReference, parseReference, type Reference } from "../../shared/reference.ts";
import { isDockerdlError } from "../../shared/errors.ts";
import { anonymousClient, upstreamReference, type UpstreamRepository } from "../upstream/client.ts";
import { resolveRepository } from "../v2/route.ts";
import { cacheHeaders, cacheKey, cachedJson } from "./cache.ts";
import type { ApiContext } from "./context.ts";
import { ApiError, jsonResponse, rethrowRouteError } from "./errors.ts";
import { hubGet, hubPath, type HubRepository, type HubTag, type HubTagPage } from "./hub.ts";
import { optionalInt, readParams, requireText } from "./input.ts";
import { listRegistryTags, registryTagInfo } from "./registry-tags.ts";
import { tagFromHub } from "./tags.ts";

const MAX_IMAGE_LENGTH = 512;
/** A registry that does not answer within this is reported as unreachable. */
const REGISTRY_TIMEOUT_MS = 15_000;

export async function handleImageDetails(request: Request, ctx: ApiContext): Promise<Response> {
  const params = await readParams(request, { image: ["image"], page: ["page"], limit: ["limit"] });
  const ref = parseReference(requireText(params, "image", "the image reference", MAX_IMAGE_LENGTH));
  const page = optionalInt(params, "page", 1, 1, 100);
  const limit = optionalInt(params, "limit", 25, 1, 100);
  const key = await cacheKey("details", { image: formatReference(ref), page, limit });
  const cached = await cachedJson({ bucket: ctx.cache, key, ttlMs: ctx.config.detailsTtlMs, now: ctx.now }, () =>
    ref.registry === DOCKER_HUB ? hubDetails(ctx, ref, page, limit) : registryDetails(ctx, ref, page, limit));
  return jsonResponse(cached.value, 200, cacheHeaders(cached, ctx.config.detailsTtlMs, ctx.now()));
}

async function hubDetails(ctx: ApiContext, ref: Reference, page: number, limit: number): Promise<ImageDetails> {
  const path = hubPath(ref.repository);
  const shown = familiarRepository(ref);
  if (!path) {
    throw new ApiError(404, "NOT_FOUND", `${shown} cannot exist on Docker Hub: Hub repositories are namespace/name`, {
      key: "NOT_FOUND.hub_name",
      params: { image: shown },
      hint: "for another registry, put its host first, e.g. ghcr.io/owner/app",
    });
  }
  const base = `/v2/namespaces/${path.namespace}/repositories/${path.name}/tags`;
  const [repository, tagPage] = await Promise.all([
    hubGet<HubRepository>(ctx.config, `/v2/repositories/${path.namespace}/${path.name}/`, {}, { message: `${shown} was not found on Docker Hub`, key: "NOT_FOUND.hub_repository", params: { image: shown } }),
    hubGet<HubTagPage>(ctx.config, base, { page, page_size: limit }, {
      message: `${shown} has no tags page ${page} on Docker Hub`,
      key: "NOT_FOUND.hub_tags_page",
      params: { image: shown, page: String(page) },
    }).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return { count: 0, next: null, previous: null, results: [] } satisfies HubTagPage;
      throw error;
    }),
  ]);
  const tags = (tagPage.results ?? []).map(tagFromHub);
  let tag: TagInfo | null = null;
  if (ref.tag !== undefined) {
    tag = tags.find((t) => t.name === ref.tag) ?? null;
    if (!tag) {
      const one = await hubGet<HubTag>(ctx.config, `${base}/${encodeURIComponent(ref.tag)}`, {}, {
        message: `${shown} has no tag ${ref.tag} on Docker Hub`,
        key: "NOT_FOUND.hub_tag",
        params: { image: shown, tag: ref.tag },
      }).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      });
      tag = one ? tagFromHub(one) : null;
    }
  } else if (ref.digest !== undefined) {
    tag = tags.find((t) => t.digest === ref.digest) ?? null;
  }
  return {
    image: formatReference(ref),
    registry: ref.registry,
    repository: ref.repository,
    name: shown,
    source: "hub",
    official: path.namespace === "library",
    description: repository.description ?? null,
    fullDescription: repository.full_description ?? null,
    stars: repository.star_count ?? null,
    pulls: repository.pull_count ?? null,
    lastUpdated: repository.last_updated ?? null,
    tag,
    tags,
    tagCount: typeof tagPage.count === "number" ? tagPage.count : null,
    page,
    limit,
    hasMoreTags: Boolean(tagPage.next),
    fetchedAt: new Date(ctx.now()).toISOString(),
  };
}

async function registryDetails(ctx: ApiContext, ref: Reference, page: number, limit: number): Promise<ImageDetails> {
  let target: UpstreamRepository;
  try {
    target = resolveRepository(`${ref.registry}/${ref.repository}`, null, ctx.config);
  } catch (error) {
    rethrowRouteError(error, `${ref.registry}/${ref.repository}`, ctx.config);
  }
  const client = anonymousClient(target);
  const reference = ref.digest ?? ref.tag ?? "latest";
  const upstreamRef = upstreamReference(target, reference);
  const signal = AbortSignal.timeout(REGISTRY_TIMEOUT_MS);
  let listing, tag;
  try {
    [listing, tag] = await Promise.all([
      listRegistryTags(client, upstreamRef, page, limit, signal),
      registryTagInfo(client, upstreamRef, reference, ref.tag ?? reference, signal).catch((error: unknown) => {
        if (isDockerdlError(error, "NOT_FOUND")) return null;
        throw error;
      }),
    ]);
  } catch (error) {
    if (signal.aborted) {
      const params = { registry: target.key, seconds: String(REGISTRY_TIMEOUT_MS / 1000) };
      throw new ApiError(502, "UPSTREAM", `${target.key} did not answer within ${params.seconds} s`, { key: "UPSTREAM.timeout", params, hint: "try again later" });
    }
    if (isDockerdlError(error, "UNAUTHORIZED")) {
      const image = `${target.key}/${target.upstreamName}`;
      throw new ApiError(401, "UNAUTHORIZED", `${image} cannot be read anonymously`, {
        key: "UNAUTHORIZED.anonymous",
        params: { image },
        hint: "it may be private or may not exist; details of private images are not available through this API",
      });
    }
    throw error;
  }
  const tags: TagInfo[] = listing.names.map((name) => (tag && name === tag.name ? tag : { name, digest: null, lastUpdated: null, platforms: null }));
  return {
    image: formatReference(ref),
    registry: ref.registry,
    repository: ref.repository,
    name: familiarRepository(ref),
    source: "registry",
    official: null,
    description: null,
    fullDescription: null,
    stars: null,
    pulls: null,
    lastUpdated: null,
    tag,
    tags,
    tagCount: null,
    page,
    limit,
    hasMoreTags: listing.hasMore,
    fetchedAt: new Date(ctx.now()).toISOString(),
  };
}
