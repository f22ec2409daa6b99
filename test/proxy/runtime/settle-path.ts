/** The test Worker's own path that answers once all background work has finished or been cut off (see entry.ts). */
export const SETTLE_PATH = "/__test/settle";

/** A request carrying this header is answered with a CACHE binding whose every call throws (an R2 outage). */
export const R2_OUTAGE_HEADER = "x-test-r2-outage";

/** The test Worker's own path that answers the R2 reads (key and range) made since it was last asked, as JSON (see entry.ts). */
export const R2_READS_PATH = "/__test/r2-reads";

/**
 * The test Worker's own path that answers the breaches of Cloudflare's limits (limits.ts's
 * Violation[]) recorded since it was last asked, as JSON; with `?settle=<ms>` it first waits
 * up to that long for background work to settle or be cut off.
 */
export const LIMITS_PATH = "/__test/limits";

/**
 * Test-only routes under this prefix make the Worker break a limit on purpose, for the tests
 * of the harness itself (test/proxy/limits-worker.test.ts; entry.ts's `probe`).
 */
export const LIMITS_PROBE_PATH = "/__test/limits-probe/";

/** One `get` the Worker made of its R2 bucket; `range` null for a whole object. */
export interface R2Read {
  key: string;
  range: { offset?: number; length?: number } | null;
}

/**
 * The test Worker's own path that moves the clock of the Worker and its fills forward by
 * `?ms=<n>` (see entry.ts), once earlier requests' background work has settled.
 */
export const CLOCK_PATH = "/__test/clock";

/** The test Worker's own path that answers the multipart uploads fills began since it was last asked, as JSON (see entry.ts). */
export const UPLOADS_PATH = "/__test/uploads";

export interface UploadBegun {
  key: string;
  uploadId: string;
}
