// Cloudflare's limits, enforced on the Worker under test: `wrangler dev` and workerd
// enforce none of them, so without this a design that a real account breaks passes every
// local test. Plain TypeScript on web-platform APIs only, so the rules can be tested in
// Node with fakes (test/proxy/limits-*.test.ts); runtime/entry.ts wires them into the
// test Worker (global fetch, the R2 binding, ctx.waitUntil, the response's end).
//
// What is enforced, per invocation (one incoming request, or one call of a Durable Object:
// its alarm, its fetch or an RPC method), with the numbers as documented:
// - Subrequests. Workers limits, https://developers.cloudflare.com/workers/platform/limits/
//   ("Account plan limits" and "Subrequests"): Free 50 per request to the Internet (every
//   fetch, each redirect hop its own; the proxy follows redirects itself, so each hop is a
//   fetch here) plus 1,000 to Cloudflare services (every call on an R2 binding, and on a
//   Durable Object stub); Paid 10,000 in all by default (`limits.subrequests` raises it).
//   Past the limit the call throws, as the platform's "Too many subrequests" does.
// - Simultaneous open connections: 6 per invocation (same page, "Simultaneous open
//   connections"). A fetch holds one from the call until its body is read to the end,
//   cancelled or errored (or it came with no body); an R2 call until it settles, a `get`
//   until its body is consumed. Cloudflare's changelog of 2026-04-09 ("Relaxed simultaneous
//   connection limiting for Workers",
//   https://developers.cloudflare.com/changelog/2026-04-09-relaxed-connection-limiting)
//   frees a connection once its response headers arrive; `connectionHold: "headers"`
//   (LIMIT_CONNECTION_HOLD=headers) counts that way, the default "body" counts the older,
//   stricter way, which any design that passes it also passes on the platform.
//   The platform queues a 7th connection until one frees; here the 7th opens and the
//   breach is recorded. Queueing would turn a design that holds six bodies open while it
//   waits on a seventh into a hang that only a test timeout reports, with no hint why;
//   failing the call would turn a design that merely has to wait a moment into an error the
//   proxy may swallow. Recorded, the request goes on and the test fails afterwards, naming
//   the request and the connections open at that moment.
// - waitUntil: work handed to ctx.waitUntil ends 30 s after its request's response has
//   been sent, or its client went away (same page, "Duration", and "How long can a
//   subrequest take?": "cancellation will be delayed until the promise has completed or
//   until an additional 30 seconds have elapsed"). A promise cannot be killed: the
//   harness records the breach, naming the request, and stops waiting for that work
//   (WaitUntilBooks.settle), as the platform would have stopped it. Tests scale the 30 s
//   down (LIMIT_WAITUNTIL_MS; test/proxy/mirror.ts sets a few seconds).
// - R2, https://developers.cloudflare.com/r2/platform/limits/: one upload (a put, or one
//   part of a multipart upload) at most 5 GiB − 5 MiB ("The max upload size is 5 MiB less
//   than 5 GiB, so 4.995 GiB", and it "applies to uploading a file via one request,
//   uploading a part of a multipart upload"); at most 10,000 parts; every part but the
//   last the same size and at least 5 MiB (https://developers.cloudflare.com/r2/objects/upload-objects/,
//   "Part size 5 MiB – 5 GiB per part", R2's multipart rule that parts be equal but the
//   last, which may not be larger); at most 1 write per second to one key ("Maximum
//   concurrent writes to the same object name (key): 1 per second", beyond which R2
//   answers 429). A breach is recorded and the call fails, as R2's would. The local R2
//   (miniflare's r2/bucket.worker.js) refuses a put over 5 GiB − 5 MiB and parts under
//   5 MiB, unequal or with a larger last one by itself, but records nothing, can't be
//   lowered for small test blobs, and knows neither the part count nor the write rate.
// A breach is a Violation in a ViolationLog; the test Worker answers them at LIMITS_PATH
// and the `mirror` fixture fails any test that leaves one untaken.

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export type Plan = "free" | "paid";

/** The numbers enforced; Infinity lifts a limit ("off" in a var). */
export interface Limits {
  /** Subrequests to the Internet per invocation (Free: 50). */
  externalSubrequests: number;
  /** Subrequests to Cloudflare services (R2, Durable Objects) per invocation (Free: 1,000). */
  serviceSubrequests: number;
  /** Subrequests of both kinds per invocation (Paid: 10,000). */
  totalSubrequests: number;
  /** Connections open at once per invocation. */
  connections: number;
  /** Until when a fetch holds its connection: its body's end (the older rule) or its headers (since 2026-04-09). */
  connectionHold: "body" | "headers";
  /** How long waitUntil work may go on after its response has been sent or its client left. */
  waitUntilMs: number;
  /** Bytes in one upload: a put, or one part. */
  r2UploadBytes: number;
  /** Bytes every part but the last must have at least. */
  r2MinPartBytes: number;
  /** Parts in one multipart upload. */
  r2MaxParts: number;
  /** Milliseconds between two writes (put, multipart complete) of one key. */
  r2KeyWriteMs: number;
}

const R2_RULES = {
  r2UploadBytes: 5 * GIB - 5 * MIB,
  r2MinPartBytes: 5 * MIB,
  r2MaxParts: 10_000,
  r2KeyWriteMs: 1000,
};

export const FREE_PLAN: Limits = {
  externalSubrequests: 50,
  serviceSubrequests: 1000,
  totalSubrequests: Infinity,
  connections: 6,
  connectionHold: "body",
  waitUntilMs: 30_000,
  ...R2_RULES,
};

export const PAID_PLAN: Limits = {
  ...FREE_PLAN,
  externalSubrequests: Infinity,
  serviceSubrequests: Infinity,
  totalSubrequests: 10_000,
};

/** The Worker var that sets each limit: a number, or "off". LIMIT_PLAN ("free", "paid") picks the defaults. */
export const LIMIT_VARS = {
  externalSubrequests: "LIMIT_SUBREQUESTS",
  serviceSubrequests: "LIMIT_SERVICE_SUBREQUESTS",
  totalSubrequests: "LIMIT_TOTAL_SUBREQUESTS",
  connections: "LIMIT_CONNECTIONS",
  connectionHold: "LIMIT_CONNECTION_HOLD",
  waitUntilMs: "LIMIT_WAITUNTIL_MS",
  r2UploadBytes: "LIMIT_R2_UPLOAD_BYTES",
  r2MinPartBytes: "LIMIT_R2_MIN_PART_BYTES",
  r2MaxParts: "LIMIT_R2_MAX_PARTS",
  r2KeyWriteMs: "LIMIT_R2_KEY_WRITE_MS",
} as const satisfies Record<keyof Limits, string>;
export const PLAN_VAR = "LIMIT_PLAN";

const parsed = new WeakMap<object, Limits>();

/** The limits a Worker's vars set (the Free plan's where they say nothing); throws on a var it can't read. */
export function limitsFrom(vars: object): Limits {
  const cached = parsed.get(vars);
  if (cached) return cached;
  const read = (name: string): string | undefined => {
    const value: unknown = Reflect.get(vars, name);
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const plan = read(PLAN_VAR) ?? "free";
  if (plan !== "free" && plan !== "paid") throw new Error(`${PLAN_VAR} must be "free" or "paid", not ${JSON.stringify(plan)}`);
  const limits: Limits = { ...(plan === "paid" ? PAID_PLAN : FREE_PLAN) };
  for (const [key, name] of Object.entries(LIMIT_VARS) as [keyof Limits, string][]) {
    const value = read(name);
    if (value === undefined) continue;
    if (key === "connectionHold") {
      if (value !== "body" && value !== "headers") throw new Error(`${name} must be "body" or "headers", not ${JSON.stringify(value)}`);
      limits.connectionHold = value;
    } else if (value === "off") {
      limits[key] = Infinity;
    } else {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0) throw new Error(`${name} must be a number of at least 0, or "off"; not ${JSON.stringify(value)}`);
      limits[key] = number;
    }
  }
  parsed.set(vars, limits);
  return limits;
}

/** Worker vars for `testWith` that set these limits (and the plan's defaults for the rest). */
export function limitVars(options: Partial<Limits> & { plan?: Plan }): Record<string, string> {
  const vars: Record<string, string> = {};
  if (options.plan) vars[PLAN_VAR] = options.plan;
  for (const [key, name] of Object.entries(LIMIT_VARS) as [keyof Limits, string][]) {
    const value = options[key];
    if (value !== undefined) vars[name] = value === Infinity ? "off" : String(value);
  }
  return vars;
}

export type Rule = "subrequests" | "connections" | "waitUntil" | "r2-upload-size" | "r2-parts" | "r2-key-rate" | "harness";

export interface Violation {
  rule: Rule;
  /** The invocation that broke it: "#12 GET /v2/…", "#13 BlobFill.alarm". */
  invocation: string;
  message: string;
}

/** The breaches recorded since they were last taken. */
export class ViolationLog {
  private recorded: Violation[] = [];

  record(violation: Violation): void {
    this.recorded.push(violation);
    console.warn(`[limits harness] ${violation.rule} in ${violation.invocation}: ${violation.message}`);
  }

  take(): Violation[] {
    return this.recorded.splice(0);
  }
}

let invocations = 0;

/** One invocation's books: its subrequests and its open connections. */
export class Invocation {
  readonly name: string;
  external = 0;
  service = 0;
  /** Most connections it had open at once. */
  peak = 0;
  /** When its response had been sent or its client left (Date.now()); null while it is still answering. */
  endedAt: number | null = null;
  /** The Durable Object it is a call of, if any: its own calls of its methods stay within it. */
  owner: object | null = null;
  private readonly open = new Map<number, string>();
  private opened = 0;
  private readonly reported = new Set<Rule>();

  readonly limits: Limits;
  readonly log: ViolationLog;

  constructor(label: string, limits: Limits, log: ViolationLog) {
    this.name = `#${++invocations} ${label}`;
    this.limits = limits;
    this.log = log;
  }

  /** Counts one subrequest; past the plan's number, records it (once per invocation) and throws as the platform does. */
  subrequest(kind: "external" | "service", what: string): void {
    if (kind === "external") this.external++;
    else this.service++;
    const total = this.external + this.service;
    let breach: string | null = null;
    if (kind === "external" && this.external > this.limits.externalSubrequests) breach = `external subrequest ${this.external} (limit ${this.limits.externalSubrequests})`;
    else if (kind === "service" && this.service > this.limits.serviceSubrequests) breach = `Cloudflare-services subrequest ${this.service} (limit ${this.limits.serviceSubrequests})`;
    else if (total > this.limits.totalSubrequests) breach = `subrequest ${total} (limit ${this.limits.totalSubrequests} in all)`;
    if (breach === null) return;
    this.breach("subrequests", `${breach}: ${what}`);
    throw new Error(`Too many subrequests by single Worker invocation. (limits harness: ${breach} in ${this.name}: ${what})`);
  }

  /** Opens a connection for `what`; the function returned closes it (again is harmless). */
  connect(what: string): () => void {
    const id = ++this.opened;
    this.open.set(id, what);
    this.peak = Math.max(this.peak, this.open.size);
    if (this.open.size > this.limits.connections) {
      this.breach("connections", `${this.open.size} connections open at once (limit ${this.limits.connections}): ${[...this.open.values()].join("; ")}`);
    }
    return () => void this.open.delete(id);
  }

  /** Connections open now, for tests of the harness. */
  get openConnections(): number {
    return this.open.size;
  }

  /** Records a breach of `rule`; subrequest and connection breaches once per invocation (each throws or repeats anyway). */
  breach(rule: Rule, message: string): void {
    if ((rule === "subrequests" || rule === "connections") && this.reported.has(rule)) return;
    this.reported.add(rule);
    this.log.record({ rule, invocation: this.name, message });
  }
}

/** Where a wrapper finds the invocation a call belongs to: a fixed one, or the current one (AsyncLocalStorage). */
export type InvocationSource = Invocation | (() => Invocation | undefined);

function invocationOf(source: InvocationSource, log: ViolationLog, what: string): Invocation {
  const found = typeof source === "function" ? source() : source;
  if (found) return found;
  // Every call should belong to an invocation; one that does not is a hole in the harness.
  const orphan = new Invocation("(no invocation)", PAID_PLAN, log);
  orphan.breach("harness", `a call outside any invocation was not counted: ${what}`);
  return orphan;
}

// ---- Lengths the platform knows ----

interface KnownLength {
  length: number;
  /** A JS stream standing in for a body of known length (a fetch's, an R2 object's): restore it before it reaches the runtime. */
  standIn: boolean;
}

const lengths = new WeakMap<object, KnownLength>();

/** The runtime's own means of giving a stream a known length (a FixedLengthStream in workerd; absent in Node). */
export const runtime: { fixLength: ((stream: ReadableStream<Uint8Array>, length: number) => ReadableStream<Uint8Array>) | null } = { fixLength: null };

/** Notes that the platform knows `stream` to be `length` bytes long (a FixedLengthStream's readable, a body with Content-Length). */
export function noteLength(stream: object, length: number, standIn = false): void {
  lengths.set(stream, { length, standIn });
}

/** The bytes an upload of `value` holds, as R2 would know them; null for a stream of unknown length. */
export function lengthOf(value: unknown): number | null {
  if (value === null || value === undefined) return 0;
  if (typeof value === "string") return new TextEncoder().encode(value).byteLength;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof Blob !== "undefined" && value instanceof Blob) return value.size;
  return typeof value === "object" ? (lengths.get(value)?.length ?? null) : null;
}

/** `value` as the runtime must see it: a stand-in stream given back its known length. */
function forRuntime<T>(value: T): T {
  const known = typeof value === "object" && value !== null ? lengths.get(value) : undefined;
  if (!known?.standIn || !runtime.fixLength) return value;
  return runtime.fixLength(value as ReadableStream<Uint8Array>, known.length) as T;
}

/** `tee` that keeps a known length on both branches (the runtime's own tee does; a stand-in's must too). */
export function teeKeepingLength(tee: ReadableStream["tee"]): ReadableStream["tee"] {
  return function (this: ReadableStream) {
    const branches = tee.call(this);
    const known = lengths.get(this);
    if (known) for (const branch of branches) lengths.set(branch, { ...known });
    return branches;
  };
}

/**
 * `body` as a JS stream that calls `onEnd` once: when it has been read to its end, been
 * cancelled or errored. A JS stream, never a FixedLengthStream: workerd refuses to pipe one
 * FixedLengthStream into another ("Inter-TransformStream ReadableStream.pipeTo() is not
 * implemented"), and the proxy pipes bodies into its own. Its known length, if any, is
 * noted so a put or a response restores it (forRuntime).
 */
export function observeBody(body: ReadableStream<Uint8Array>, onEnd: (how: "done" | "cancel" | "error") => void, length: number | null = null): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (how: "done" | "cancel" | "error") => {
    if (ended) return;
    ended = true;
    onEnd(how);
  };
  const observed = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          controller.error(error);
          end("error");
          return;
        }
        if (chunk.done) {
          controller.close();
          end("done");
        } else {
          controller.enqueue(chunk.value);
        }
      },
      async cancel(reason) {
        end("cancel");
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  if (length !== null) noteLength(observed, length, true);
  return observed;
}

// ---- fetch ----

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** A fetch's body as its connection sees it: read to the end, it frees the connection. */
function holdingBody(response: Response, method: string, release: () => void): Response {
  const body = response.body;
  if (!body || method === "HEAD" || NULL_BODY_STATUSES.has(response.status) || response.headers.get("content-length") === "0") {
    release();
    return response;
  }
  const stated = response.headers.get("content-length");
  const encoding = (response.headers.get("content-encoding") ?? "identity").toLowerCase();
  // The runtime knows a body's length from Content-Length, unless it decodes the body.
  const length = stated !== null && /^\d+$/.test(stated) && encoding === "identity" ? Number(stated) : null;
  const held = new Response(observeBody(body, release, length), response);
  Object.defineProperties(held, { url: { value: response.url }, redirected: { value: response.redirected } });
  return held;
}

/** `inner` (the runtime's fetch) counted against the invocation of each call: subrequests, and connections until each body's end. */
export function limitedFetch(inner: Fetch, source: InvocationSource, log: ViolationLog): Fetch {
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const url = input instanceof Request ? input.url : String(input);
    const what = `fetch ${method} ${url}`;
    const invocation = invocationOf(source, log, what);
    invocation.subrequest("external", what);
    const release = invocation.connect(what);
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      release();
      throw error;
    }
    if (invocation.limits.connectionHold === "headers") {
      release();
      return response;
    }
    return holdingBody(response, method, release);
  };
}

// ---- R2 ----

/** R2's state that outlives an invocation: when each key was last written, and the sizes of each upload's parts. */
export interface R2Books {
  lastWrite: Map<string, number>;
  parts: Map<string, Map<number, number>>;
  now: () => number;
}

export function newR2Books(now: () => number = Date.now): R2Books {
  return { lastWrite: new Map(), parts: new Map(), now };
}

const isolateR2Books = newR2Books();

/** The error R2 gives, in the words of the harness: the call fails, as R2's would. */
class R2LimitError extends Error {}

function refuse(invocation: Invocation, rule: Rule, message: string): R2LimitError {
  invocation.breach(rule, message);
  return new R2LimitError(`${message} (limits harness, as R2 refuses it)`);
}

function bytes(n: number): string {
  return `${n.toLocaleString("en-US")} bytes`;
}

/** A method of a binding called on the binding itself (a native object refuses any other `this`). */
function method(target: object, name: string | symbol): unknown {
  const value: unknown = Reflect.get(target, name);
  return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/**
 * Runs an R2 call as one service subrequest holding a connection until it settles (`then`
 * may take the result over, connection and all); a sync throw stays a sync throw.
 */
function serviceCall<T>(invocation: Invocation, what: string, call: () => T, then?: (result: Awaited<T>, release: () => void) => Awaited<T>): T {
  invocation.subrequest("service", what);
  const release = invocation.connect(what);
  let result: T;
  try {
    result = call();
  } catch (error) {
    release();
    throw error;
  }
  if (!(result instanceof Promise)) {
    release();
    return result;
  }
  return result.then(
    (value: Awaited<T>) => {
      if (then) return then(value, release);
      release();
      return value;
    },
    (error: unknown) => {
      release();
      throw error;
    },
  ) as T;
}

/** An R2 object's body as its connection sees it: consumed (or cancelled), it frees the connection. */
function holdingObjectBody<T>(invocation: Invocation, object: T, release: () => void): T {
  if (invocation.limits.connectionHold === "headers" || object === null || typeof object !== "object" || !("body" in object)) {
    release();
    return object;
  }
  const target = object as unknown as { body: ReadableStream<Uint8Array>; size: number; range?: { offset?: number; length?: number; suffix?: number } };
  let body: ReadableStream<Uint8Array> | null = null;
  // Taken when first asked for: until then arrayBuffer() and the like read the object's own body.
  const observed = () => {
    if (!body) {
      const range = target.range;
      const length = range?.length ?? (range?.suffix !== undefined ? range.suffix : target.size - (range?.offset ?? 0));
      body = observeBody(target.body, release, Number.isFinite(length) ? length : null);
    }
    return body;
  };
  const consumedBy = (name: string) => async () => {
    try {
      return await (Reflect.get(target, name) as () => Promise<unknown>).call(target);
    } finally {
      release();
    }
  };
  return new Proxy(target, {
    get(object, name) {
      if (name === "body") return observed();
      if (name === "arrayBuffer" || name === "text" || name === "json" || name === "blob" || name === "bytes") return consumedBy(name);
      return method(object, name);
    },
  }) as unknown as T;
}

interface UploadLike {
  key: string;
  uploadId: string;
  uploadPart(partNumber: number, value: unknown, options?: unknown): Promise<{ partNumber: number; etag: string }>;
  complete(parts: { partNumber: number; etag: string }[]): Promise<unknown>;
  abort(): Promise<void>;
}

function checkKeyWrite(invocation: Invocation, books: R2Books, key: string, what: string): void {
  const now = books.now();
  const last = books.lastWrite.get(key);
  books.lastWrite.set(key, now);
  if (last !== undefined && now - last < invocation.limits.r2KeyWriteMs) {
    throw refuse(invocation, "r2-key-rate", `${what}: key ${key} written again ${now - last} ms after the last write (R2 takes 1 write per ${invocation.limits.r2KeyWriteMs} ms per key, else 429)`);
  }
}

function limitedUpload<U extends object>(upload: U, source: InvocationSource, log: ViolationLog, books: R2Books): U {
  const target = upload as unknown as UploadLike;
  const sizes = () => {
    let parts = books.parts.get(target.uploadId);
    if (!parts) books.parts.set(target.uploadId, (parts = new Map()));
    return parts;
  };
  const uploadPart = (partNumber: number, value: unknown, options?: unknown) => {
    const what = `R2 uploadPart ${target.key} #${partNumber}`;
    const invocation = invocationOf(source, log, what);
    return serviceCall(invocation, what, () => {
      const { r2UploadBytes, r2MaxParts } = invocation.limits;
      const length = lengthOf(value);
      let error: R2LimitError | null = null;
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > r2MaxParts) error = refuse(invocation, "r2-parts", `${what}: part number ${partNumber} is outside 1..${r2MaxParts}`);
      else if (length !== null && length > r2UploadBytes) error = refuse(invocation, "r2-upload-size", `${what}: a part of ${bytes(length)} (R2 takes at most ${bytes(r2UploadBytes)} in one upload)`);
      if (error) {
        if (value instanceof ReadableStream) void value.cancel(error).catch(() => {});
        return Promise.reject(error);
      }
      if (length !== null) sizes().set(partNumber, length);
      return target.uploadPart(partNumber, forRuntime(value), options);
    });
  };
  const complete = (parts: { partNumber: number; etag: string }[]) => {
    const what = `R2 complete ${target.key}`;
    const invocation = invocationOf(source, log, what);
    return serviceCall(invocation, what, () => {
      const { r2MinPartBytes, r2MaxParts } = invocation.limits;
      const known = sizes();
      const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
      const partSizes = ordered.map((part) => known.get(part.partNumber));
      const leading = partSizes.slice(0, -1);
      let error: R2LimitError | null = null;
      if (parts.length > r2MaxParts) error = refuse(invocation, "r2-parts", `${what}: ${parts.length} parts (R2 takes at most ${r2MaxParts})`);
      else if (leading.some((size) => size !== undefined && size < r2MinPartBytes)) error = refuse(invocation, "r2-parts", `${what}: a part but the last is under ${bytes(r2MinPartBytes)} (sizes ${partSizes.join(", ")})`);
      else if (new Set(leading.filter((size) => size !== undefined)).size > 1) error = refuse(invocation, "r2-parts", `${what}: parts but the last are not all the same size (sizes ${partSizes.join(", ")})`);
      else if (leading[0] !== undefined && (partSizes.at(-1) ?? 0) > leading[0]) error = refuse(invocation, "r2-parts", `${what}: the last part is larger than the others (sizes ${partSizes.join(", ")})`);
      if (error) return Promise.reject(error);
      try {
        checkKeyWrite(invocation, books, target.key, what);
      } catch (refused) {
        return Promise.reject(refused);
      }
      return target.complete(parts).finally(() => books.parts.delete(target.uploadId));
    });
  };
  const abort = () => {
    const what = `R2 abort ${target.key}`;
    const invocation = invocationOf(source, log, what);
    return serviceCall(invocation, what, () => target.abort().finally(() => books.parts.delete(target.uploadId)));
  };
  return new Proxy(upload, {
    get(object, name) {
      if (name === "uploadPart") return uploadPart;
      if (name === "complete") return complete;
      if (name === "abort") return abort;
      return method(object, name);
    },
  });
}

/**
 * An R2 binding (or any object with its interface, so proxy/cache/store.ts's BlobStore takes
 * it) under R2's rules and counted against the invocation of each call.
 */
export function limitedBucket<B extends object>(bucket: B, source: InvocationSource, log: ViolationLog, books: R2Books = isolateR2Books): B {
  const calls = new Map<string | symbol, unknown>();
  const counted = (name: string, call: (invocation: Invocation, what: string, args: unknown[]) => unknown) => (...args: unknown[]) => {
    const what = `R2 ${name} ${typeof args[0] === "string" ? args[0] : ""}`.trimEnd();
    return call(invocationOf(source, log, what), what, args);
  };
  const inner = (name: string) => Reflect.get(bucket, name) as (...args: unknown[]) => unknown;
  for (const name of ["head", "list", "delete"]) calls.set(name, counted(name, (invocation, what, args) => serviceCall(invocation, what, () => inner(name).apply(bucket, args))));
  calls.set("get", counted("get", (invocation, what, args) => serviceCall(invocation, what, () => inner("get").apply(bucket, args), (object, release) => holdingObjectBody(invocation, object, release))));
  calls.set("put", counted("put", (invocation, what, args) => serviceCall(invocation, what, () => {
    const [key, value, options] = args as [string, unknown, unknown];
    const { r2UploadBytes } = invocation.limits;
    const length = lengthOf(value);
    try {
      if (length !== null && length > r2UploadBytes) throw refuse(invocation, "r2-upload-size", `${what}: ${bytes(length)} in one put (R2 takes at most ${bytes(r2UploadBytes)}; larger objects need multipart)`);
      checkKeyWrite(invocation, books, key, what);
    } catch (error) {
      if (value instanceof ReadableStream) void value.cancel(error).catch(() => {});
      return Promise.reject(error);
    }
    return inner("put").call(bucket, key, forRuntime(value), options);
  })));
  calls.set("createMultipartUpload", counted("createMultipartUpload", (invocation, what, args) =>
    serviceCall(invocation, what, () => inner("createMultipartUpload").apply(bucket, args), (upload, release) => {
      release();
      return limitedUpload(upload as object, source, log, books) as typeof upload;
    }),
  ));
  // Local: no request is made (Workers API reference, R2 resumeMultipartUpload).
  calls.set("resumeMultipartUpload", (...args: unknown[]) => limitedUpload(inner("resumeMultipartUpload").apply(bucket, args) as object, source, log, books));
  return new Proxy(bucket, {
    get(object, name) {
      return calls.has(name) ? calls.get(name) : method(object, name);
    },
  });
}

/**
 * A Durable Object namespace whose stubs count each call (fetch, RPC) as a subrequest to a
 * Cloudflare service of the calling invocation.
 */
export function limitedNamespace<N extends object>(namespace: N, source: InvocationSource, log: ViolationLog): N {
  const countingStub = (stub: object) =>
    new Proxy(stub, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (typeof value !== "function" || typeof name !== "string" || name === "then") return value;
        return (...args: unknown[]) => {
          const what = `Durable Object call ${name}`;
          invocationOf(source, log, what).subrequest("service", what);
          // Reflect.apply: an RPC method would take `.apply` for a remote method of that name.
          return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        };
      },
    });
  return new Proxy(namespace, {
    get(target, name) {
      const value = method(target, name);
      if ((name === "get" || name === "getByName") && typeof value === "function") {
        return (...args: unknown[]) => countingStub((value as (...a: unknown[]) => object)(...args));
      }
      return value;
    },
  });
}

const isBucket = (value: unknown): value is object =>
  typeof value === "object" && value !== null && typeof Reflect.get(value, "createMultipartUpload") === "function" && typeof Reflect.get(value, "head") === "function";
const isNamespace = (value: unknown): value is object =>
  typeof value === "object" && value !== null && typeof Reflect.get(value, "idFromName") === "function" && typeof Reflect.get(value, "get") === "function";

/** `env` with every R2 binding and Durable Object namespace counted against `source`'s invocation, under R2's rules. */
export function limitedEnv<E extends object>(env: E, source: InvocationSource, log: ViolationLog, books: R2Books = isolateR2Books): E {
  const wrapped = { ...env } as Record<string, unknown>;
  for (const [name, value] of Object.entries(wrapped)) {
    if (isBucket(value)) wrapped[name] = limitedBucket(value, source, log, books);
    else if (isNamespace(value)) wrapped[name] = limitedNamespace(value, source, log);
  }
  return wrapped as E;
}

// ---- waitUntil ----

interface Work {
  invocation: Invocation;
  promise: Promise<unknown>;
}

/**
 * The waitUntil work of every invocation, and its cut-off: `limits.waitUntilMs` after the
 * invocation's response has been sent or its client left, work still pending is recorded
 * as a breach and no longer waited for (the platform would have cancelled it).
 */
export class WaitUntilBooks {
  private readonly pending = new Set<Work>();
  /**
   * Who waits for a change (work settled or cut off). Callbacks, not a shared promise: with
   * workerd's handle_cross_request_promise_resolution, a promise made in a request that has
   * since ended never settles in another, so each waiter makes its own.
   */
  private readonly waiters = new Set<() => void>();
  private readonly setTimer: (callback: () => void, ms: number) => unknown;

  /** `setTimer` is setTimeout unless a test brings its own clock. */
  constructor(setTimer: (callback: () => void, ms: number) => unknown = (callback, ms) => setTimeout(callback, ms)) {
    this.setTimer = setTimer;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Work handed to ctx.waitUntil by `invocation`. */
  track(invocation: Invocation, promise: Promise<unknown>): void {
    const work: Work = { invocation, promise };
    this.pending.add(work);
    const done = () => {
      if (this.pending.delete(work)) this.notify();
    };
    promise.then(done, done);
  }

  /** The invocation's response has been sent, or its client left (`how`): its work has `waitUntilMs` from now. */
  ended(invocation: Invocation, how: string): void {
    if (invocation.endedAt !== null) return;
    invocation.endedAt = Date.now();
    const limit = invocation.limits.waitUntilMs;
    if (limit === Infinity) return;
    this.setTimer(() => this.cutOff(invocation, how), limit);
  }

  private cutOff(invocation: Invocation, how: string): void {
    const left = [...this.pending].filter((work) => work.invocation === invocation);
    if (left.length === 0) return;
    for (const work of left) this.pending.delete(work);
    const limit = invocation.limits.waitUntilMs;
    const scaled = limit === FREE_PLAN.waitUntilMs ? "" : " (LIMIT_WAITUNTIL_MS: the platform's 30 s, scaled for tests)";
    invocation.breach("waitUntil", `${left.length} waitUntil promise(s) still pending ${limit} ms${scaled} after the response ${how}: the platform cancels them then`);
    this.notify();
  }

  /** Work still waited for, for tests of the harness. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Resolves once all work (of the invocations `of` picks) has settled or been cut off;
   * true then, false if `timeoutMs` passed first (work whose response has not ended yet
   * has no cut-off).
   */
  async settle(timeoutMs = Infinity, of: (invocation: Invocation) => boolean = () => true): Promise<boolean> {
    let timedOut = false;
    const timeout = timeoutMs === Infinity ? null : new Promise<void>((resolve) => this.setTimer(() => { timedOut = true; resolve(); }, timeoutMs));
    const left = () => [...this.pending].filter((work) => of(work.invocation));
    while (left().length > 0 && !timedOut) {
      let waiter!: () => void;
      const changed = new Promise<void>((resolve) => (waiter = resolve));
      this.waiters.add(waiter);
      const waits: Promise<unknown>[] = [Promise.allSettled(left().map((work) => work.promise)), changed];
      if (timeout) waits.push(timeout);
      try {
        await Promise.race(waits);
      } finally {
        this.waiters.delete(waiter);
      }
    }
    return left().length === 0;
  }
}

/**
 * `response` with a body that ends the invocation when it has been sent (or the client
 * left); a response without one ends it now. A body of known length keeps it.
 */
export function observeResponse(response: Response, onEnd: (how: string) => void): Response {
  const body = response.body;
  if (!body) {
    onEnd("was returned (no body)");
    return response;
  }
  const length = lengthOf(body);
  const observed = observeBody(body, (how) => onEnd(how === "done" ? "had been sent" : how === "cancel" ? "was cancelled (the client left)" : "errored"), length);
  return new Response(forRuntime(observed), response);
}

// ---- Durable Objects ----

type Constructor = abstract new (...args: never[]) => object;

/**
 * A subclass of a Durable Object class whose env is limited and whose every method (alarm,
 * fetch, RPC methods) runs as its own invocation, under the same rules as a request.
 * `run` runs a function with an invocation as the current one (AsyncLocalStorage in workerd).
 */
export function limitedClass<T extends Constructor>(
  Base: T,
  harness: { current: () => Invocation | undefined; run: <R>(invocation: Invocation, fn: () => R) => R; log: ViolationLog; books?: R2Books },
): T {
  // A class that extends a constructor of unknown arguments: TypeScript's mixin pattern needs any[] here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Mixin = Base as unknown as new (...args: any[]) => object;
  const limitsOf = new WeakMap<object, Limits>();
  class Limited extends Mixin {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    constructor(...args: any[]) {
      const [ctx, env] = args as [unknown, object];
      super(ctx, limitedEnv(env, harness.current, harness.log, harness.books), ...args.slice(2));
      limitsOf.set(this, limitsFrom(env));
    }
  }
  const seen = new Set<string>(["constructor"]);
  for (let proto: object | null = Base.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (seen.has(name) || typeof descriptor?.value !== "function") continue;
      seen.add(name);
      const original = descriptor.value as (...args: unknown[]) => unknown;
      Object.defineProperty(Limited.prototype, name, {
        configurable: true,
        writable: true,
        value(this: object, ...args: unknown[]) {
          if (harness.current()?.owner === this) return original.apply(this, args);
          const invocation = new Invocation(`${Base.name}.${name}`, limitsOf.get(this) ?? FREE_PLAN, harness.log);
          invocation.owner = this;
          return harness.run(invocation, () => original.apply(this, args));
        },
      });
    }
  }
  return Limited as unknown as T;
}
