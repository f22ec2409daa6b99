// The limits bench's HTTP client: node:http with keep-alive, bodies drained and counted
// (never kept), so the client's own CPU on this 2-core machine stays small next to the
// Worker's (fetch costs several times more per byte).
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Bytes of the body received. */
  bytes: number;
  /** The body, only when `keep` was asked (small answers). */
  text?: string;
}

export interface Ask {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Readable;
  keep?: boolean;
}

export function ask(url: string, options: Ask = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers, agent }, (res) => {
      let bytes = 0;
      const kept: Buffer[] = [];
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (options.keep) kept.push(chunk);
      });
      res.on("end", () => {
        if (!res.complete) return reject(new Error(`${url}: the answer ended after ${bytes} bytes, before its end`));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, ...(options.keep ? { text: Buffer.concat(kept).toString("utf8") } : {}) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (options.body === undefined) req.end();
    else if (typeof options.body === "string") req.end(options.body);
    else options.body.pipe(req);
  });
}

/** `ask`, failing unless the status is `expected`. */
export async function expect(url: string, expected: number, options: Ask = {}): Promise<Answer> {
  const answer = await ask(url, { ...options, keep: options.keep ?? (expected !== 200 && expected !== 206) });
  if (answer.status !== expected) {
    const body = answer.text ?? (await ask(url, { ...options, keep: true }).then((a) => a.text, () => ""));
    throw new Error(`${options.method ?? "GET"} ${url} answered ${answer.status}, not ${expected}: ${body?.slice(0, 300)}`);
  }
  return answer;
}

/** A blob's ranges as our clients ask for them: `rangeSize` each, `parallel` at a time. */
export function rangesOf(size: number, rangeSize: number): { offset: number; length: number }[] {
  const ranges = [];
  for (let offset = 0; offset < size; offset += rangeSize) ranges.push({ offset, length: Math.min(rangeSize, size - offset) });
  return ranges;
}

/**
 * GETs `url` in ranges covering `size` bytes, `parallel` at a time, each checked to be a
 * 206 of its length; `urlOf` may give each range its own URL (the control Worker takes
 * the range in its query). Resolves with the bytes received and the request count.
 */
export async function rangedGets(
  size: number,
  rangeSize: number,
  parallel: number,
  urlOf: (range: { offset: number; length: number }) => { url: string; headers: Record<string, string> },
  expected = 206,
): Promise<{ bytes: number; requests: number }> {
  const ranges = rangesOf(size, rangeSize);
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < ranges.length) {
      const range = ranges[next++];
      const { url, headers } = urlOf(range);
      const answer = await expect(url, expected, { headers });
      if (answer.bytes !== range.length) throw new Error(`${url} sent ${answer.bytes} bytes for a range of ${range.length}`);
      bytes += answer.bytes;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, ranges.length) }, worker));
  return { bytes, requests: ranges.length };
}

export function rangeHeader(range: { offset: number; length: number }): string {
  return `bytes=${range.offset}-${range.offset + range.length - 1}`;
}
