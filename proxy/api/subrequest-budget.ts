// What one /api/download costs in subrequests, against what the Workers plan allows one
// request, so an image the plan cannot serve is refused before the first byte instead
// of breaking off mid-way. Cloudflare's limits (https://developers.cloudflare.com/workers/platform/limits/#subrequests,
// as documented late 2026): Workers Free, 50 subrequests per request to other hosts and
// 1,000 to Cloudflare services (R2); Workers Paid, 10,000 per request by default (an
// account may change it with `limits.subrequests` in wrangler.toml), counted here as one
// pool for both kinds, the stricter reading; at most 6 connections open at once. Every fetch() is one, and so is every redirect hop a
// fetch follows ("each subrequest in a redirect chain counts against the subrequest
// limit", https://developers.cloudflare.com/rules/snippets/examples/follow-redirects/).
// `wrangler dev` enforces none of this: SubrequestMeter counts what a download really
// sends and stops it at the limit with words of its own.
//
// What a download sends, image by image (the registry client, shared/registry/):
//   resolving: the first manifest GET answered 401, the token, the manifest again, the
//     platform's manifest when the reference is an index, the config blob's GET and its
//     redirect hops (Docker Hub sends blob GETs to its CDN: one hop);
//   each layer the cache was not asked about: R2's lookup of it (public-blob.ts), then
//     either R2 reads of READ_WINDOW (32 MiB) each, or upstream: the GET and its redirect
//     hops;
//   new tokens while the layers stream: the client renews one when it has expired (Hub's
//     live 300 s, a registry that names no lifetime 60 s), so a download needs about one
//     per minute: reserved as one, plus one per RENEWAL_BYTES of upstream layers (a
//     minute at 10 MB/s), never more than one per upstream layer;
//   each layer the cache was asked about ahead (a probe: R2's lookup and, for one it holds,
//     the first read or two, cancelled): a cached one its reads again, a cold one only
//     the upstream requests;
//   each layer checked with a HEAD before the first byte: one more and its hops;
//   one resume, should the upstream cut a layer part way (resuming-body.ts): the ranged
//   GET, its hops and a token (resumeReserve), reserved once per download with upstream
//   layers, so a cut does not meet the limit mid-transfer.
// So what limits an image is its layer count when cold, and its size only when warm:
//   Free, cold, Hub-like (index, 1 hop, which download.ts assumes at least): 6 + 2 per
//     layer + renewals + 3 for a resume <= 50, 19 small layers, 13 of 10 GiB;
//   Free, warm: 4 R2 calls per small layer <= 1,000 (250 layers), and one per 32 MiB
//     read: 27 layers of 1 GiB, 7 of 4 GiB, so about 27 GiB in all;
//   Paid (10,000): cold, 2,497 layers of 10 GiB; warm, 293 layers of 1 GiB (293 GiB).
// largestImage() computes these; test/unit/subrequest-budget.test.ts states them.

import { DockerdlError } from "../../shared/errors.ts";
import type { HttpFetch, HttpResponse } from "../../shared/http.ts";

export type Plan = "free" | "paid";

/** What one request may spend, by the plan. */
export interface PlanLimits {
  plan: Plan;
  /** fetch() calls to other hosts, each redirect hop one. */
  external: number;
  /** Calls to Cloudflare services: R2. */
  services: number;
  /** Both together. */
  total: number;
}

export const FREE_EXTERNAL_SUBREQUESTS = 50;
export const FREE_SERVICE_SUBREQUESTS = 1000;
export const PAID_DEFAULT_SUBREQUESTS = 10_000;

export function planLimits(plan: Plan, paidLimit?: number): PlanLimits {
  if (plan === "free") {
    return { plan, external: FREE_EXTERNAL_SUBREQUESTS, services: FREE_SERVICE_SUBREQUESTS, total: FREE_EXTERNAL_SUBREQUESTS + FREE_SERVICE_SUBREQUESTS };
  }
  const limit = paidLimit ?? PAID_DEFAULT_SUBREQUESTS;
  return { plan, external: limit, services: limit, total: limit };
}

/** The plan in words, for messages. */
export function planName(limits: PlanLimits): string {
  if (limits.plan === "free") return "the Workers Free plan";
  return limits.total === PAID_DEFAULT_SUBREQUESTS ? "the Workers Paid plan" : `this Workers Paid account (SUBREQUEST_LIMIT ${limits.total})`;
}

export interface SubrequestCount {
  external: number;
  services: number;
  /**
   * Both together; for a layer the cache was not asked about, the worse of its two ways
   * (from R2 or from upstream), so not always external + services.
   */
  total: number;
}

/** An image as resolving it costs. */
export interface ImageShape {
  /** 1, or 2 when the reference names an index. */
  manifests: number;
  /** Redirect hops of one blob GET. */
  hops: number;
}

/** One layer of the tar (a layer two images share is one). */
export interface LayerShape {
  size: number;
  /** Redirect hops of one blob GET from its registry. */
  hops: number;
  /** Whether the cache holds it as public, once asked ahead (a probe); undefined when not asked. */
  cached?: boolean;
  /** Asked for with a HEAD before the first byte. */
  checked?: boolean;
}

/** A 401, the token, then the manifest: the client learns a registry's challenge from its first answer. */
const CHALLENGE_AND_TOKEN = 2;
/** Upstream bytes a token is assumed to last: 60 s (the least lifetime the client assumes) at 10 MB/s. */
const RENEWAL_BYTES = 600e6;

/** New tokens a download's upstream layers may need: see the header. */
export function tokenRenewals(upstreamLayers: number, upstreamBytes: number): number {
  return Math.min(upstreamLayers, 1 + Math.ceil(upstreamBytes / RENEWAL_BYTES));
}

export const NOTHING: SubrequestCount = { external: 0, services: 0, total: 0 };

export function add(a: SubrequestCount, b: SubrequestCount): SubrequestCount {
  return { external: a.external + b.external, services: a.services + b.services, total: a.total + b.total };
}

/** What resolving an image sends before the first byte: tokens, manifests, the config. */
export function resolveSubrequests(image: ImageShape): SubrequestCount {
  const external = CHALLENGE_AND_TOKEN + image.manifests + 1 + image.hops;
  return { external, services: 0, total: external };
}

/** R2 reads of a cached blob: one per window (cache/windowed-read.ts). */
export function r2Reads(size: number, readWindow: number): number {
  return Math.max(1, Math.ceil(size / readWindow));
}

/** What one layer costs, from the probe (if any) to its last byte. */
export function layerSubrequests(layer: LayerShape, readWindow: number): SubrequestCount {
  const reads = r2Reads(layer.size, readWindow);
  const upstream = 1 + layer.hops;
  const head = layer.checked ? 1 + layer.hops : 0;
  let count: SubrequestCount;
  if (layer.cached === true) {
    // The probe: lookup and first read (and the next, asked for at once), cancelled; then the real read.
    const services = 1 + 1 + (reads > 1 ? 1 : 0) + 1 + reads;
    count = { external: 0, services, total: services };
  } else if (layer.cached === false) {
    // The probe's lookup; then upstream only.
    count = { external: upstream, services: 1, total: upstream + 1 };
  } else {
    // The lookup, then the cache's reads or upstream's requests: each counted at its worst.
    count = { external: upstream, services: 1 + reads, total: 1 + Math.max(upstream, reads) };
  }
  return add(count, { external: head, services: 0, total: head });
}

/**
 * What resuming one layer the upstream cut part way costs (upstream/resuming-body.ts):
 * the ranged GET, its redirect hops (a fresh redirect: the URL first given may have
 * expired), and a token, the one it had may have expired since.
 */
export function resumeReserve(hops: number): number {
  return 1 + hops + 1;
}

/**
 * `spent` (resolving, as counted), every layer, the tokens renewed for those that may come
 * from upstream, and one resume of theirs: a download the plan fits to its last
 * subrequest would otherwise end short at the first cut, where its meter refuses the resume.
 */
export function downloadSubrequests(spent: SubrequestCount, layers: readonly LayerShape[], readWindow: number): SubrequestCount {
  const upstream = layers.filter((layer) => layer.cached !== true);
  const renewals = tokenRenewals(upstream.length, upstream.reduce((sum, layer) => sum + layer.size, 0));
  const resume = upstream.length === 0 ? 0 : resumeReserve(Math.max(...upstream.map((layer) => layer.hops)));
  const sum = layers.reduce((total, layer) => add(total, layerSubrequests(layer, readWindow)), spent);
  return add(sum, { external: renewals + resume, services: 0, total: renewals + resume });
}

/** Which of the plan's limits `count` is over; null within all. */
export function overLimit(count: SubrequestCount, limits: PlanLimits): "external" | "services" | "total" | null {
  if (count.external > limits.external) return "external";
  if (count.services > limits.services) return "services";
  if (count.total > limits.total) return "total";
  return null;
}

/**
 * Whether the download fits as /api/download decides it: as it stands (the cache not
 * asked), or else once every layer's place (cache or upstream) is known.
 */
export function servable(spent: SubrequestCount, layers: readonly LayerShape[], limits: PlanLimits, readWindow: number): boolean {
  const unknown = layers.map(({ cached: _cached, ...layer }) => layer);
  if (overLimit(downloadSubrequests(spent, unknown, readWindow), limits) === null) return true;
  return overLimit(downloadSubrequests(spent, layers, readWindow), limits) === null;
}

/**
 * Which layers (indexes) get a HEAD before the first byte, in order, with what `count`
 * leaves of the plan: a missing or refused layer is then a JSON error rather than a
 * broken transfer. Layers known to be cached need none.
 */
export function affordableChecks(count: SubrequestCount, layers: readonly LayerShape[], limits: PlanLimits): number[] {
  let { external, total } = count;
  const checks: number[] = [];
  layers.forEach((layer, i) => {
    if (layer.cached === true) return;
    const cost = 1 + layer.hops;
    if (external + cost > limits.external || total + cost > limits.total) return;
    external += cost;
    total += cost;
    checks.push(i);
  });
  return checks;
}

/** The most layers of `layerSize` one download of one image can have on `limits`, all cached or none. */
export function largestImage(limits: PlanLimits, shape: ImageShape & { layerSize: number; cached: boolean; readWindow: number }): number {
  const spent = resolveSubrequests(shape);
  const layer: LayerShape = { size: shape.layerSize, hops: shape.hops, cached: shape.cached };
  const fits = (layers: number) => servable(spent, Array<LayerShape>(layers).fill(layer), limits, shape.readWindow);
  // More layers never cost less, and each costs at least one subrequest: a binary search below `limits.total`.
  let [low, high] = [0, limits.total];
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return fits(low) ? low : 0;
}

/** The most small layers not in the cache that `limits` leaves room for after `spent` (a token renewal and a resume reserved). */
export function coldLayersLeft(spent: SubrequestCount, hops: number, limits: PlanLimits): number {
  const each = 1 + hops;
  const reserve = tokenRenewals(1, 0) + resumeReserve(hops);
  return Math.max(0, Math.min(Math.floor((limits.external - spent.external - reserve) / each), Math.floor((limits.total - spent.total - reserve) / (each + 1))));
}

/** A subrequest past the plan's limit, refused before the platform would fail it. */
export class SubrequestLimitError extends DockerdlError {
  constructor(message: string, limit: number) {
    super("TOO_MANY_SUBREQUESTS", message, { key: "TOO_MANY_SUBREQUESTS.used_up", params: { limit: String(limit) }, hint: "download the image with the dockerdl CLI or the web app, which fetch each layer through this mirror's /v2/ in a request of its own" });
    this.name = "SubrequestLimitError";
  }
}

/**
 * Counts the upstream subrequests of one request as its registry client sends them, and
 * refuses the one past the plan's limit (with words, where the platform would fail it
 * with its own). Knows, too, how many redirect hops the blob GETs took.
 */
export class SubrequestMeter {
  readonly #limits: PlanLimits;
  #external = 0;
  #blobHops = 0;
  /** URL a redirect named → the request it continues. */
  readonly #hops = new Map<string, { blob: boolean; hops: number }>();

  constructor(limits: PlanLimits) {
    this.#limits = limits;
  }

  get external(): number {
    return this.#external;
  }

  /** The most redirect hops one blob request took since the last call (0 when none was made). */
  takeBlobHops(): number {
    const hops = this.#blobHops;
    this.#blobHops = 0;
    return hops;
  }

  /** `fetch` with every call counted. */
  wrap(fetch: HttpFetch): HttpFetch {
    return async (url, init) => {
      if (this.#external + 1 > this.#limits.external) {
        throw new SubrequestLimitError(`${planName(this.#limits)} allows ${this.#limits.external} subrequests per request, and this download has made them all (a registry redirected or renewed tokens more than counted)`, this.#limits.external);
      }
      this.#external++;
      const continued = this.#hops.get(url);
      this.#hops.delete(url);
      const chain = continued ? { blob: continued.blob, hops: continued.hops + 1 } : { blob: /\/blobs\/[^/]+$/.test(new URL(url).pathname), hops: 0 };
      if (chain.blob) this.#blobHops = Math.max(this.#blobHops, chain.hops);
      const response: HttpResponse = await fetch(url, init);
      const location = response.status >= 300 && response.status < 400 ? response.headers.get("location") : null;
      if (location !== null) {
        try {
          this.#hops.set(new URL(location, url).href, chain);
        } catch {
          // the client refuses a Location that is no URL
        }
      }
      return response;
    };
  }
}
