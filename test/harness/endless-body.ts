// A hostile answer for bounded-read tests: a body of any size, streamed in 64 KiB chunks
// without Content-Length, that counts how much of it was pulled and whether it was
// cancelled, so a test can prove a reader stopped at its cap instead of reading it whole.

export const CHUNK = 65536;

export interface EndlessBody {
  body: ReadableStream<Uint8Array>;
  /** Bytes handed out so far. */
  pulled(): number;
  cancelled(): boolean;
}

/** `total` bytes of `fill` (zeros by default: never valid JSON). */
export function endlessBody(total: number, fill = 0): EndlessBody {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK).fill(fill));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, pulled: () => pulled, cancelled: () => cancelled };
}
