/** The test Worker's own path that answers once all background work has finished (see entry.ts). */
export const SETTLE_PATH = "/__test/settle";

/** A request carrying this header is answered with a CACHE binding whose every call throws (an R2 outage). */
export const R2_OUTAGE_HEADER = "x-test-r2-outage";
