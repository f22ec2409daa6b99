// POST /api/download and /api/download-stream {image, platform} (and GET with query
// parameters): the image as one docker-load tar, streamed by the Worker, for people
// without a browser (curl -o ubuntu.tar …); POST {"images": […]} puts several images in
// one tar, a layer they share stored once (download-request.ts reads what was asked).
// Before any byte is sent: manifests and config are resolved, foreign layers (never
// fetched here) refused, and the download is held to the Workers plan's subrequests per
// request (subrequest-budget.ts: PLAN, SUBREQUEST_LIMIT): the manifest gives every layer's
// size, so the count is known; when it does not fit as it stands, the mirror's R2 cache is
// asked which layers it holds as public (those take no upstream request at all), and an
// image still beyond the plan is refused with a JSON error saying what to do instead.
// Layers not known to be cached are checked with a HEAD only while the plan leaves room
// for it (every HEAD is a subrequest, and its redirects too): a missing or refused layer
// among them is a JSON error; one past them ends the transfer short. Then the tar is laid
// out with shared/image-archive's plan (exact Content-Length) and poured one segment at a
// time, in constant memory, with as little JavaScript per byte as can be (CPU time is
// what the plan limits): a layer the cache holds as public is piped natively from R2 (its
// bytes were checked against the digest when stored); one from upstream is read 4 MiB at
// a time and hashed, its last chunk held back until the digest matches. Nothing is stored
// here: blobs pass through.
import type { Config } from "../config.ts";
import { distinctEntries } from "../../shared/bundle-names.ts";
import { isDockerdlError, PlatformNotAvailableError } from "../../shared/errors.ts";
import { archiveImageOf, planImageArchive } from "../../shared/image-archive.ts";
import { formatPlatform, type Platform } from "../../shared/platform.ts";
import { defaultFileName, familiarName, type Reference } from "../../shared/reference.ts";
import type { LayerDescriptor, RegistryClient, ResolvedImage } from "../../shared/registry/client.ts";
import { bodyStream } from "../../shared/registry/blobs.ts";
import type { HttpBody } from "../../shared/http.ts";
import type { TarPlan } from "../../shared/tar.ts";
import { verifiedChunks } from "../../shared/verify.ts";
import { meteredClient, type UpstreamRepository } from "../upstream/client.ts";
import { resumingChunks } from "../upstream/resuming-body.ts";
import { resolveRepository } from "../v2/route.ts";
import { nativeSha256 } from "../sha256.ts";
import type { ApiContext } from "./context.ts";
import { ApiError, rethrowRouteError } from "./errors.ts";
import { DOWNLOAD_FIELDS, imagesWanted, type ImageWanted } from "./download-request.ts";
import { readParams } from "./input.ts";
import {
  add, affordableChecks, coldLayersLeft, downloadSubrequests, NOTHING, overLimit, planLimits, planName, resolveSubrequests, SubrequestMeter,
  type LayerShape, type PlanLimits, type SubrequestCount,
} from "./subrequest-budget.ts";

export async function handleDownload(request: Request, ctx: ApiContext): Promise<Response> {
  const wanted = imagesWanted(await readParams(request, DOWNLOAD_FIELDS));
  const limits = planLimits(ctx.config.plan, ctx.config.subrequestLimit);
  const meter = new SubrequestMeter(limits);
  const clients = new Map<string, RegistryClient>();
  const resolved: Resolved[] = [];
  for (const w of wanted) resolved.push(await resolve(w, ctx, meter, clients, request.signal));
  const spent = resolved.reduce((sum, image) => add(sum, image.spent), NOTHING);
  // Two images under one name are refused (bundle-names.ts); the same one twice is kept once.
  const images = distinctEntries(resolved.map((r, i) => ({ origin: wanted[i].entry, reference: r.image.reference, platform: r.image.platform, digest: r.image.manifest.digest })))
    .map((i) => resolved[i]);
  // A layer two images share is one blob of the plan: fetched from the first that has it.
  const owners = new Map<string, Layer>();
  for (const image of images) for (const layer of image.image.layers) if (!owners.has(layer.digest)) owners.set(layer.digest, { image, layer, shape: { size: layer.size, hops: image.hops } });
  const layers = [...owners.values()];
  await fitPlan(layers, spent, limits, ctx, images, request);
  for (const image of images) {
    const checked = layers.filter((l) => l.image === image && l.shape.checked).map((l) => l.layer);
    if (checked.length > 0) await image.client.checkLayersReadable(image.ref, checked, request.signal);
  }
  const plan = planImageArchive(images.map((r) => archiveImageOf(r.image)));
  const pourBlob = async (key: string, out: WritableStream<Uint8Array>): Promise<void> => {
    const owner = owners.get(key);
    if (!owner) throw new Error(`the plan names blob ${key}, which no image has`);
    const { image: { client, ref }, layer, shape } = owner;
    // A layer the cache was found not to hold goes upstream without asking it again.
    const cached = shape.cached === false ? null : await ctx.publicBlob?.(layer.digest, layer.size);
    if (cached) return cached(out);
    // The runtime's own body, read 4 MiB at a time, and after a cut the rest asked again
    // (resuming-body.ts; the shared client skips what a server that ignores Range sends
    // again); verifiedChunks holds it to the layer's size and digest, and a corrupt layer
    // ends the response short (a broken transfer), never a tar with bad bytes.
    const what = `layer ${layer.digest} from upstream`;
    const chunks = resumingChunks(asStream(await client.fetchWholeBlobUnchecked(ref, layer, request.signal)), {
      length: layer.size,
      chunkSize: CHUNK,
      idleMs: ctx.config.upstreamDeadlines.idleMs,
      what,
      // The rest as the runtime's own body too, read 4 MiB at a time (a 200, Range ignored, is skipped to `offset` by the client).
      reopen: async (offset) => ({ body: asStream(await client.fetchWholeBlobUnchecked(ref, layer, request.signal, offset)), skip: 0 }),
    });
    await pourChunks(verifiedChunks(chunks, layer, nativeSha256(), what), out);
  };
  // FixedLengthStream makes the runtime send Content-Length rather than chunked encoding.
  const { readable, writable } = new FixedLengthStream(plan.totalSize);
  void pourTar(plan, pourBlob, writable as WritableStream<Uint8Array>);
  const single = images.length === 1 ? images[0] : undefined;
  const fileName = single ? defaultFileName(single.ref, single.image.platform) : "bundle.tar";
  return new Response(readable, {
    headers: {
      "content-type": "application/x-tar",
      "content-disposition": `attachment; filename="${fileName}"`,
      "cache-control": "no-store",
      ...(single
        ? { "x-image-digest": single.image.manifest.digest, "x-image-platform": headerText(formatPlatform(single.image.platform)) }
        : { "x-image-count": String(images.length) }),
    },
  });
}

interface Resolved {
  client: RegistryClient;
  ref: Reference;
  image: ResolvedImage;
  /** Redirect hops its registry's blob GETs take (what the config's GET took, at least 1, as Docker Hub's). */
  hops: number;
  /** What resolving it took: as the meter counted it, or as modelled when that is more. */
  spent: SubrequestCount;
  /** The platform asked for, for the hint of a refusal. */
  platform?: Platform;
}

/** One layer of the tar: the image it is fetched for, and what it costs. */
interface Layer {
  image: Resolved;
  layer: LayerDescriptor;
  shape: LayerShape;
}

/**
 * One image resolved, its foreign layers refused: all before the first byte is sent.
 * Its upstream's client is this request's own, metered (one per upstream and request).
 */
async function resolve({ ref: named, platform }: ImageWanted, ctx: ApiContext, meter: SubrequestMeter, clients: Map<string, RegistryClient>, signal: AbortSignal): Promise<Resolved> {
  const repository = upstreamOf(named, ctx.config);
  // Asked by its UPSTREAMS key, so the client reaches that upstream and nothing else.
  const ref = { ...named, registry: repository.key };
  let client = clients.get(repository.key);
  if (client === undefined) {
    client = meteredClient(repository, (fetch) => meter.wrap(fetch), ctx.config.upstreamDeadlines);
    clients.set(repository.key, client);
  }
  const before = meter.external;
  let image;
  try {
    image = await client.resolveImage(ref, platform, { signal });
  } catch (error) {
    if (error instanceof PlatformNotAvailableError) {
      throw new ApiError(404, error.code, error.message, { key: error.key ?? error.code, params: error.params ?? {}, hint: `offered: ${error.available.map(formatPlatform).join(", ")}` });
    }
    if (isDockerdlError(error, "PLATFORM_NOT_AVAILABLE")) {
      // A multi-platform image and no platform given: the request is incomplete.
      throw new ApiError(400, "PLATFORM_REQUIRED", error.message, { key: "PLATFORM_REQUIRED.choose", params: error.params ?? {}, hint: 'add "platform", e.g. linux/amd64' });
    }
    throw error;
  }
  // Foreign layers are refused here, without a request (only they are passed).
  await client.checkLayersReadable(ref, image.layers.filter((layer) => layer.urls !== undefined), signal);
  // What the config's GET took is what its layers will (one registry, one blob store), and
  // at least one, as Docker Hub's. The model wins where it says more: a runtime that
  // follows redirects itself (the local test harness does, whatever `redirect: "manual"`
  // says) shows the meter neither the hops nor their requests.
  const hops = Math.max(1, meter.takeBlobHops());
  const modelled = resolveSubrequests({ manifests: image.index ? 2 : 1, hops });
  const measured = meter.external - before;
  const spent = measured >= modelled.external ? { external: measured, services: 0, total: measured } : modelled;
  return { client, ref, image, hops, spent, ...(platform ? { platform } : {}) };
}

/**
 * Holds the download to the plan: counts it as it stands, asks the cache which layers
 * it holds when that is too many, refuses what is still too many, and marks the layers
 * the plan leaves room to check with a HEAD. `spent`: what resolving took, as counted.
 */
async function fitPlan(layers: Layer[], spent: SubrequestCount, limits: PlanLimits, ctx: ApiContext, images: Resolved[], request: Request): Promise<void> {
  const window = ctx.config.readWindow;
  const shapes = layers.map((l) => l.shape);
  // Without a cache, every layer comes from upstream.
  if (!ctx.publicBlob) for (const shape of shapes) shape.cached = false;
  let count = downloadSubrequests(spent, shapes, window);
  if (overLimit(count, limits) !== null && ctx.publicBlob) {
    const held = await heldAsPublic(ctx.publicBlob, layers.map((l) => l.layer));
    shapes.forEach((shape, i) => (shape.cached = held[i]));
    count = downloadSubrequests(spent, shapes, window);
  }
  const over = overLimit(count, limits);
  if (over !== null) throw refusal(over, count, spent, limits, layers, images, request, window);
  for (const i of affordableChecks(count, shapes, limits)) shapes[i].checked = true;
}

/**
 * Whether the cache holds each layer as public, asked through the reader itself (so the
 * answer is the one the tar's pour will get): one lookup each, nothing read. Two at a
 * time, within the 6 connections a request may have open.
 * A cache that fails to answer holds nothing: those layers come from upstream.
 */
async function heldAsPublic(publicBlob: NonNullable<ApiContext["publicBlob"]>, layers: LayerDescriptor[]): Promise<boolean[]> {
  const held = new Array<boolean>(layers.length).fill(false);
  let next = 0;
  const ask = async () => {
    for (let i = next++; i < layers.length; i = next++) {
      const pour = await publicBlob(layers[i].digest, layers[i].size).catch((error: unknown) => {
        console.warn(`asking the cache for layer ${layers[i].digest} failed: ${String(error)}`);
        return null;
      });
      held[i] = pour !== null;
    }
  };
  await Promise.all([ask(), ask()]);
  return held;
}

function formatMiB(bytes: number): string {
  return `${Math.round((bytes / 2 ** 20) * 100) / 100} MiB`;
}

const LIMITS_PAGE = "https://developers.cloudflare.com/workers/platform/limits/#subrequests";

/** The 422 for a download beyond the plan: what it needs, what the plan allows, what to do instead. */
function refusal(over: "external" | "services" | "total", count: SubrequestCount, spent: SubrequestCount, limits: PlanLimits, layers: Layer[], images: Resolved[], request: Request, window: number): ApiError {
  const what = images.length === 1 ? familiarName(images[0].ref) : `these ${images.length} images`;
  const cold = layers.filter((l) => l.shape.cached !== true).length;
  const cached = layers.length - cold;
  const hops = Math.max(...images.map((i) => i.hops));
  const plan = planName(limits);
  const planFirst = plan.charAt(0).toUpperCase() + plan.slice(1);
  let message: string;
  if (over === "external") {
    const left = coldLayersLeft(spent, hops, limits);
    message = `${what} needs ${count.external} subrequests to its registry: ${spent.external} to resolve it (token, manifests, config) and ${1 + hops} for each of its ${cold} layers not in this mirror's cache `
      + `(the GET and ${hops === 1 ? "its redirect" : `${hops} redirects`}), besides new tokens as old ones expire and room to resume a layer the registry cuts. ${planFirst} allows ${limits.external} subrequests per request (${LIMITS_PAGE}), `
      + `so one /api/download here takes at most ${left} such layers${cached > 0 ? ` besides the ${cached} the cache holds` : ""}`;
  } else if (over === "services") {
    message = `${what} needs ${count.services} calls to this mirror's R2 cache (a lookup and a read per ${formatMiB(window)} of each of its ${layers.length} layers), but ${plan} allows ${limits.services} such subrequests per request (${LIMITS_PAGE})`;
  } else {
    message = `${what} needs ${count.total} subrequests in all (${count.external} to its registry, the rest to this mirror's R2 cache), but ${plan} allows ${limits.total} per request (${LIMITS_PAGE})`;
  }
  const first = images[0];
  const cli = `npx dockerdl pull ${familiarName(first.ref)}${first.platform ? ` --platform ${formatPlatform(first.platform)}` : ""} --proxy ${new URL(request.url).origin}`;
  const raise = limits.plan === "free"
    ? "or, if this Worker runs on Workers Paid, its operator sets PLAN=paid"
    : "or its operator raises limits.subrequests in wrangler.toml and sets SUBREQUEST_LIMIT to match";
  const hint = `use the dockerdl CLI (${cli}) or the web app, which fetch each layer through this mirror's /v2/ in a request of its own (and leave the layers in its cache, so a later /api/download of the image needs fewer subrequests); ${raise}`;
  const needed = over === "external" ? count.external : over === "services" ? count.services : count.total;
  const params = { needed: String(needed), limit: String(limits[over]), plan: limits.plan === "free" ? "Workers Free" : "Workers Paid" };
  const key = { external: "TOO_MANY_SUBREQUESTS.external", services: "TOO_MANY_SUBREQUESTS.services", total: "TOO_MANY_SUBREQUESTS.total" }[over];
  return new ApiError(422, "TOO_MANY_SUBREQUESTS", message, { key, params, hint });
}

/** Upstream layers are read (and hashed) a few MiB at a time: JavaScript runs once per chunk, and every step is CPU time. */
const CHUNK = 4 * 1024 * 1024;

/**
 * The tar's segments into `writable` in order: header bytes written, each layer poured
 * (natively from R2, or hashed from upstream), the length held by the FixedLengthStream.
 * A layer that fails aborts the whole answer: the client sees a broken transfer.
 */
async function pourTar(plan: TarPlan, pourBlob: (key: string, out: WritableStream<Uint8Array>) => Promise<void>, writable: WritableStream<Uint8Array>): Promise<void> {
  try {
    for (const segment of plan.segments) {
      if (segment.kind === "bytes") await pourChunks([segment.bytes], writable);
      else await pourBlob(segment.key, writable);
    }
    await writable.close();
  } catch (error) {
    console.warn(`download stopped: ${String(error)}`);
    await writable.abort(error).catch(() => {});
  }
}

/** Writes `chunks` into `writable`, leaving it open. */
async function pourChunks(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, writable: WritableStream<Uint8Array>): Promise<void> {
  const writer = writable.getWriter();
  try {
    for await (const chunk of chunks) await writer.write(chunk);
  } finally {
    writer.releaseLock();
  }
}

/** A body as the shared client gives it, as a web stream (the runtime's own, unwrapped, when it is one). */
function asStream(body: HttpBody): ReadableStream<Uint8Array> {
  return body instanceof ReadableStream ? (body as ReadableStream<Uint8Array>) : bodyStream(body);
}

/** Printable ASCII only: the platform comes from upstream documents (parsing already refuses control characters). */
function headerText(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, "_");
}

function upstreamOf(ref: Reference, config: Config): UpstreamRepository {
  try {
    return resolveRepository(`${ref.registry}/${ref.repository}`, null, config);
  } catch (error) {
    rethrowRouteError(error, `${ref.registry}/${ref.repository}`, config);
  }
}
