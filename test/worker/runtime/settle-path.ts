/** The test Worker's own path that answers once all background work has finished (see entry.ts). */
export const SETTLE_PATH = "/__test/settle";
