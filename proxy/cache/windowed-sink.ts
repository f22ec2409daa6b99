// A writer that lets a bounded number of bytes be in flight to a stream and survives its
// consumer going away: the relays (cache-relay.ts, multipart-fill.ts) write one chunk to
// a client and to R2 at once, and wait only when one of them falls a window behind, so
// memory stays bounded whichever is slower.

/** A writer that lets `window` bytes be in flight and survives its consumer going away. */
export class WindowedSink {
  private inFlight = 0;
  private wake: (() => void) | null = null;
  failed = false;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly window: number;

  constructor(writable: WritableStream<Uint8Array>, window: number) {
    this.writer = writable.getWriter();
    this.window = window;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failed) return;
    const size = chunk.byteLength;
    this.inFlight += size;
    this.writer.write(chunk).then(
      () => {
        this.inFlight -= size;
        this.notify();
      },
      () => {
        this.failed = true;
        this.notify();
      },
    );
    while (this.inFlight > this.window && !this.failed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async close(): Promise<void> {
    if (this.failed) return;
    await this.writer.close().catch(() => {
      this.failed = true;
    });
  }

  async abort(reason: unknown): Promise<void> {
    await this.writer.abort(reason).catch(() => {});
  }
}
