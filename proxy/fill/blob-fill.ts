// A blob's cache fill, owned by a Durable Object named by the blob's digest, so that it
// outlives the requests that ask for it. A Worker's `waitUntil` work ends 30 s after its
// own response ends or its client leaves, and no later request can extend it
// (https://developers.cloudflare.com/workers/runtime-apis/context/#waituntil); a fill of a
// layer read in ranges (what the CLI and the PWA send) takes minutes. A Durable Object's
// alarm runs whether or not anyone is connected, is retried if it fails, and resets the
// CPU budget each time it runs (https://developers.cloudflare.com/durable-objects/api/alarms/,
// https://developers.cloudflare.com/durable-objects/platform/limits/), so the fill runs as
// alarm steps: a Queue would add a second binding and a consumer to deploy, and a Workflow
// cannot keep a running SHA-256 between its steps.
//
// One object per blob means one fill per blob however many clients and isolates ask. Each
// request for the blob says it is still wanted (`want`); a fill that nobody has wanted for
// FILL_IDLE seconds stops and aborts its upload. Steps:
// - a blob up to R2's single-put limit is one step: the upstream's body piped natively into
//   one `put` with the blob's sha256, which R2 checks: no JavaScript per chunk, no hashing
//   here, a few milliseconds of CPU whatever the size (fits the Free plan);
// - a larger blob is a multipart upload, a few parts per step, each part a ranged GET asked
//   afresh (a fresh token and a fresh redirect, so expiring CDN URLs don't matter), hashed
//   on the way, since R2 cannot check a multipart object; the upload completes only when
//   the whole digest matches. The running hash lives in the object's memory: if the object
//   restarts mid-way, the upload is aborted and the fill starts over. Hashing costs CPU the
//   Free plan does not give, so with PLAN = "free" such blobs are not cached.
// The client's credentials stay in memory only; nothing secret is written to storage.
import { DurableObject } from "cloudflare:workers";
import { blobKey, blobMetadata, type Visibility } from "../cache/keys.ts";
import { partSizeFor } from "../cache/r2-limits.ts";
import type { BlobStore, MultipartUpload, UploadedPart } from "../cache/store.ts";
import { uploadPart } from "../cache/upload-part.ts";
import { loadConfig, type Config, type ProxyContext, type Vars } from "../config.ts";
import { nativeSha256 } from "../sha256.ts";
import { visibilityFor } from "../upstream/access.ts";
import { callUpstream } from "../upstream/fetch.ts";
import { fetchWholeBlob } from "../upstream/whole-blob.ts";
import { parseV2Path, type V2Route } from "../v2/route.ts";
import type { BlobHasher } from "../../shared/verify.ts";
import type { FillAnswer, FillOrder } from "./order.ts";

/** What a fill is given: the Worker's vars (its secrets included) and its R2 bucket. */
export interface FillEnv extends Vars {
  CACHE?: R2Bucket;
}

/** The fill as stored between steps (no credentials). */
interface Job {
  digest: string;
  url: string;
  size: number | null;
  visibility?: Visibility;
  uploadId?: string;
  partSize?: number;
  parts: UploadedPart[];
  /** Bytes uploaded so far (multipart). */
  offset: number;
  /** When a step last began or saved its work (ms): a job nobody has touched for STALE_MS lost its alarm. */
  touchedAt: number;
}

/** Parts one step uploads at most: a step is bounded in time, CPU and memory. */
const PARTS_PER_STEP = 8;
/** A step starts no new part after this long (an alarm may run 15 minutes). */
const STEP_BUDGET_MS = 5 * 60_000;
/** A step runs at most 15 minutes (an alarm's wall-clock limit); a job untouched for longer has no alarm driving it. */
const STALE_MS = 20 * 60_000;
/** How often a step checks that the blob is still wanted. */
const WATCH_MS = 1000;

const JOB = "job";

export class BlobFill extends DurableObject<FillEnv> {
  /** When a client last asked for the blob. */
  private wantedAt = 0;
  /** The newest requester's headers for upstream, in memory only. */
  private credentials: { url: string; authorization: string | null; accept: string | null } | null = null;
  /** The running SHA-256 of a multipart fill, with the bytes it has seen. */
  private hash: { hasher: BlobHasher; offset: number } | null = null;

  /** The fill's clock, which decides when nobody wants the blob any more (FILL_IDLE); the test Worker's moves on demand. */
  protected now(): number {
    return Date.now();
  }

  /** A job no step has touched for longer than an alarm may run: its alarm was lost, nothing drives it. */
  private stale(job: Job): boolean {
    return this.now() - job.touchedAt > STALE_MS;
  }

  async want(order: FillOrder): Promise<FillAnswer> {
    this.wantedAt = this.now();
    const stored = await this.ctx.storage.get<Job>(JOB);
    if (stored && !this.stale(stored)) {
      // One object per digest serves every repository and upstream naming it: a client's
      // credentials are kept only for the URL they were given for, the one the fill reads.
      if (order.url === stored.url) this.keepCredentials(order);
      return { running: true, started: false };
    }
    if (stored) await this.abandon(stored);
    if (!order.mayStart) return { running: false, started: false };
    // A request that found the blob uncached may ask just after a fill put it in R2: one
    // look (a Class B read) spares a second whole fill.
    if (await this.env.CACHE?.head(blobKey(order.digest))) return { running: false, started: false };
    this.keepCredentials(order);
    const job: Job = { digest: order.digest, url: order.url, size: order.size, parts: [], offset: 0, touchedAt: this.now() };
    await this.ctx.storage.put(JOB, job);
    await this.ctx.storage.setAlarm(Date.now());
    this.jobStarted();
    return { running: true, started: true };
  }

  async running(): Promise<boolean> {
    const stored = await this.ctx.storage.get<Job>(JOB);
    return stored !== undefined && !this.stale(stored);
  }

  override async alarm(): Promise<void> {
    const job = await this.ctx.storage.get<Job>(JOB);
    if (!job) return;
    let more = false;
    job.touchedAt = this.now();
    await this.ctx.storage.put(JOB, job);
    try {
      const context: ProxyContext = { config: loadConfig(this.env), now: () => this.now() };
      const cache = this.env.CACHE;
      if (!cache) throw new Error("no R2 bucket is bound as CACHE");
      more = await this.step(job, context, cache);
    } catch (error) {
      // Not thrown on: the platform would retry the alarm, and a later request starts a fresh fill anyway.
      console.warn(`fill of ${job.digest}: ${error instanceof Error ? error.message : String(error)}`);
      await this.abandon(job);
      return;
    }
    if (more) {
      await this.ctx.storage.put(JOB, job);
      await this.ctx.storage.setAlarm(Date.now());
    } else {
      await this.finish();
    }
  }

  /**
   * One step of the fill; true when there is more to do. Its upstream requests are cut
   * as soon as no client has wanted the blob for FILL_IDLE, even mid-read.
   */
  private async step(job: Job, context: ProxyContext, cache: BlobStore): Promise<boolean> {
    const { config } = context;
    this.checkWanted(config);
    const url = new URL(job.url);
    const route = parseV2Path(url.pathname, url.searchParams, config);
    if (!route || route.kind !== "blobs" || route.reference !== job.digest) throw new Error(`${job.url} does not name the blob ${job.digest}`);
    const path = `blobs/${job.digest}`;
    const controller = new AbortController();
    const stopWatching = this.watch(() => {
      if (!this.stillWanted(config)) controller.abort(new Error("no client has read the blob for a while; the fill stops"));
    });
    try {
      if (job.uploadId === undefined && (job.size === null || job.size <= config.singlePutLimit)) return await this.singlePut(job, route, path, context, cache, controller.signal);
      if (config.plan !== "paid") throw new Error(`the blob's ${job.size} bytes need a multipart upload, which needs hashing, which needs the Paid plan's CPU (PLAN is "free")`);
      return await this.multipartStep(job, route, path, context, cache, controller.signal);
    } finally {
      stopWatching();
    }
  }

  /** Runs `check` every WATCH_MS until the function returned is called; the test Worker also runs it when its clock moves. */
  protected watch(check: () => void): () => void {
    const timer = setInterval(check, WATCH_MS);
    return () => clearInterval(timer);
  }

  /**
   * The whole blob in one native pipe into one `put` with its sha256: R2 refuses bytes that
   * don't match. A blob found too large for one put turns into a multipart fill.
   */
  private async singlePut(job: Job, route: V2Route, path: string, context: ProxyContext, cache: BlobStore, signal: AbortSignal): Promise<boolean> {
    const { upstream, visibility, length } = await fetchWholeBlob(this.upstreamRequest(job.url, signal), route, path, context);
    if (length === null) {
      await upstream.body?.cancel();
      throw new Error(`${route.key} answered ${upstream.status} without a body of known length; nothing to cache`);
    }
    job.size = length;
    job.visibility = visibility;
    if (length > context.config.singlePutLimit) {
      await upstream.body?.cancel();
      return true;
    }
    await cache.put(blobKey(job.digest), upstream.body!.pipeThrough(new FixedLengthStream(length)), {
      sha256: job.digest.replace(/^sha256:/, ""),
      ...blobMetadata(route, visibility),
    });
    return false;
  }

  /** Up to PARTS_PER_STEP parts of a multipart fill; at the end, the digest checked and the upload completed. */
  private async multipartStep(job: Job, route: V2Route, path: string, context: ProxyContext, cache: BlobStore, signal: AbortSignal): Promise<boolean> {
    const { config } = context;
    const key = blobKey(job.digest);
    const size = job.size!;
    job.visibility ??= await visibilityFor(this.upstreamRequest(job.url, signal), route, path, context);
    let upload: MultipartUpload;
    if (job.uploadId !== undefined && this.hash?.offset === job.offset) {
      upload = cache.resumeMultipartUpload(key, job.uploadId);
    } else {
      // A new fill, or one whose running hash was lost with the object's memory: start over.
      if (job.uploadId !== undefined) await cache.resumeMultipartUpload(key, job.uploadId).abort().catch(() => {});
      upload = await cache.createMultipartUpload(key, blobMetadata(route, job.visibility));
      Object.assign(job, { uploadId: upload.uploadId, partSize: partSizeFor(size, config.fillPartSize), parts: [], offset: 0 });
      this.hash = { hasher: nativeSha256(), offset: 0 };
      await this.ctx.storage.put(JOB, job);
    }
    const hash = this.hash!;
    const started = Date.now();
    for (let n = 0; n < PARTS_PER_STEP && job.offset < size && Date.now() - started < STEP_BUDGET_MS; n++) {
      this.checkWanted(config);
      const length = Math.min(job.partSize!, size - job.offset);
      const body = await this.rangeOf(job, route, path, context, job.offset, length, signal);
      job.parts.push(await uploadPart(upload, job.parts.length + 1, body, length, hash.hasher));
      job.offset += length;
      hash.offset = job.offset;
      job.touchedAt = this.now();
      await this.ctx.storage.put(JOB, job);
    }
    if (job.offset < size) return true;
    const digest = `sha256:${await hash.hasher.digest("hex")}`;
    if (digest !== job.digest) throw new Error(`the upstream's bytes hash to ${digest}, not ${job.digest}; the upload is aborted`);
    await upload.complete(job.parts);
    return false;
  }

  /** Bytes [offset, offset + length) of the blob, asked afresh of the upstream. */
  private async rangeOf(job: Job, route: V2Route, path: string, context: ProxyContext, offset: number, length: number, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const request = this.upstreamRequest(job.url, signal);
    request.headers.set("range", `bytes=${offset}-${offset + length - 1}`);
    const response = await callUpstream(request, route, path, { method: "GET", range: true }, context);
    const expected = `bytes ${offset}-${offset + length - 1}/${job.size}`;
    if (response.status !== 206 || response.headers.get("content-range") !== expected || !response.body) {
      await response.body?.cancel();
      throw new Error(`${route.key} answered ${response.status} (Content-Range: ${response.headers.get("content-range") ?? "none"}) for ${expected}; a blob this large is cached only from an upstream that serves ranges`);
    }
    return response.body as ReadableStream<Uint8Array>;
  }

  private keepCredentials(order: FillOrder): void {
    this.credentials = { url: order.url, authorization: order.authorization, accept: order.accept };
  }

  private upstreamRequest(url: string, signal?: AbortSignal): Request {
    const headers = new Headers();
    if (this.credentials?.authorization && this.credentials.url === url) headers.set("authorization", this.credentials.authorization);
    if (this.credentials?.accept) headers.set("accept", this.credentials.accept);
    return new Request(url, { headers, signal });
  }

  private stillWanted(config: Config): boolean {
    return this.credentials !== null && this.now() - this.wantedAt <= config.fillIdleMs;
  }

  private checkWanted(config: Config): void {
    if (!this.stillWanted(config)) throw new Error("no client has read the blob for a while; the fill stops");
  }

  /** The fill gives up: its upload aborted, its record gone, so a later request may start anew. */
  private async abandon(job: Job): Promise<void> {
    const cache = this.env.CACHE;
    if (job.uploadId !== undefined && cache) await cache.resumeMultipartUpload(blobKey(job.digest), job.uploadId).abort().catch(() => {});
    await this.finish();
  }

  private async finish(): Promise<void> {
    this.hash = null;
    await this.ctx.storage.delete(JOB);
    this.jobEnded();
  }

  /** Hooks for the test Worker, which awaits fills the way it awaits `waitUntil` work. */
  protected jobStarted(): void {}
  protected jobEnded(): void {}
}
