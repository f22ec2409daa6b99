// POST /api/download and /api/download-stream {image, platform} (and GET with query
// parameters): the image as one docker-load tar, streamed by the Worker, for people
// without a browser (curl -o ubuntu.tar …); POST {"images": […]} puts several images in
// one tar, a layer they share stored once (download-request.ts reads what was asked).
// Manifests and config are resolved and every layer is asked for with a HEAD first, so
// a bad reference, a missing platform, an unreachable registry, a missing or refused
// layer or a foreign one (never fetched here) is a JSON error before any byte is sent. Then the tar is laid out with
// shared/image-archive's plan (exact Content-Length) and filled by shared/tar's
// streamTar one layer at a time, in constant memory, each verified: from the mirror's R2
// cache when it holds the layer as public (the /v2/ mirror put it there, checked against
// its digest), else straight from upstream. Nothing is stored here: blobs pass through.
import type { Config } from "../config.ts";
import { PlatformNotAvailableError } from "../../shared/errors.ts";
import { archiveImageOf, planImageArchive } from "../../shared/image-archive.ts";
import { formatPlatform } from "../../shared/platform.ts";
import { defaultFileName, type Reference } from "../../shared/reference.ts";
import type { LayerDescriptor, ResolvedImage } from "../../shared/registry/client.ts";
import { streamTar } from "../../shared/tar.ts";
import { streamChunks } from "../../shared/tar-reader.ts";
import { verifiedChunks } from "../../shared/verify.ts";
import { anonymousClient, type UpstreamRepository } from "../upstream/client.ts";
import { resolveRepository, RouteError } from "../v2/route.ts";
import { nativeSha256 } from "../sha256.ts";
import type { ApiContext } from "./context.ts";
import { ApiError } from "./errors.ts";
import { DOWNLOAD_FIELDS, imagesWanted, type ImageWanted } from "./download-request.ts";
import { readParams } from "./input.ts";

export async function handleDownload(request: Request, ctx: ApiContext): Promise<Response> {
  const wanted = imagesWanted(await readParams(request, DOWNLOAD_FIELDS));
  const images: Resolved[] = [];
  for (const w of wanted) images.push(await resolve(w, ctx, request.signal));
  const plan = planImageArchive(images.map((r) => archiveImageOf(r.image)));
  // A layer two images share is one blob of the plan: fetched from the first that has it.
  const owners = new Map<string, { client: Resolved["client"]; ref: Reference; layer: LayerDescriptor }>();
  for (const { client, ref, image } of images) for (const layer of image.layers) if (!owners.has(layer.digest)) owners.set(layer.digest, { client, ref, layer });
  const openBlob = async function* (key: string): AsyncIterable<Uint8Array> {
    const owner = owners.get(key);
    if (!owner) throw new Error(`the plan names blob ${key}, which no image has`);
    const cached = await ctx.publicBlob?.(owner.layer.digest, owner.layer.size);
    const stream = cached ?? (await owner.client.fetchBlob(owner.ref, owner.layer, undefined, request.signal));
    // A corrupt layer ends the response short (a broken transfer), never a tar with bad bytes.
    yield* verifiedChunks(streamChunks(stream), owner.layer, nativeSha256(), `layer ${owner.layer.digest} from ${cached ? "the cache" : "upstream"}`);
  };
  // FixedLengthStream makes the runtime send Content-Length rather than chunked encoding.
  const { readable, writable } = new FixedLengthStream(plan.totalSize);
  void pump(streamTar(plan, openBlob), writable);
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
  client: ReturnType<typeof anonymousClient>;
  ref: Reference;
  image: ResolvedImage;
}

/** One image resolved and every layer checked readable: all before the first byte is sent. */
async function resolve({ ref: named, platform }: ImageWanted, ctx: ApiContext, signal: AbortSignal): Promise<Resolved> {
  const repository = upstreamOf(named, ctx.config);
  // Asked by its UPSTREAMS key, so the client reaches that upstream and nothing else.
  const ref = { ...named, registry: repository.key };
  const client = anonymousClient(repository);
  let image;
  try {
    image = await client.resolveImage(ref, platform, { signal });
  } catch (error) {
    if (error instanceof PlatformNotAvailableError) {
      throw new ApiError(404, error.code, error.message, { hint: `offered: ${error.available.map(formatPlatform).join(", ")}` });
    }
    if (error instanceof Error && "code" in error && error.code === "PLATFORM_NOT_AVAILABLE") {
      // A multi-platform image and no platform given: the request is incomplete.
      throw new ApiError(400, "PLATFORM_REQUIRED", error.message, { hint: 'add "platform", e.g. linux/amd64' });
    }
    throw error;
  }
  await client.checkLayersReadable(ref, image.layers, signal);
  return { client, ref, image };
}

/** Writes the tar into the response; a failure mid-way aborts it (the client sees a short body). */
async function pump(chunks: AsyncIterable<Uint8Array>, writable: WritableStream<Uint8Array>): Promise<void> {
  const writer = writable.getWriter();
  try {
    for await (const chunk of chunks) await writer.write(chunk);
    await writer.close();
  } catch (error) {
    console.warn(`download stopped: ${String(error)}`);
    await writer.abort(error).catch(() => {});
  }
}

/** Printable ASCII only: the platform comes from upstream documents (parsing already refuses control characters). */
function headerText(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, "_");
}

function upstreamOf(ref: Reference, config: Config): UpstreamRepository {
  try {
    return resolveRepository(`${ref.registry}/${ref.repository}`, null, config);
  } catch (error) {
    if (error instanceof RouteError) throw new ApiError(error.status === 404 ? 404 : 400, error.status === 404 ? "UNKNOWN_REGISTRY" : "BAD_REFERENCE", error.message);
    throw error;
  }
}
