// The resumable state: which blobs are verified, how far each is hashed (with the
// hasher's saved state) and how much of each chunk is written. A state only applies to
// the plan and chunking it was made for; anything else starts afresh.

import { blobSegments, type TarPlan } from "../tar.ts";
import type { BlobState, EngineState } from "./types.ts";
import { fingerprint } from "./util.ts";

export function planId(plan: TarPlan, chunkSize: number): string {
  const blobs = blobSegments(plan).map((s) => `${s.key}@${s.offset}+${s.size}`).join(",");
  return `${plan.totalSize}-${chunkSize}-${fingerprint(blobs)}`;
}

/** The parts of `state` that fit `plan`: undefined when it was made for something else. */
export function usableState(state: unknown, id: string, chunkCounts: Map<string, number>): EngineState | undefined {
  if (typeof state !== "object" || state === null) return undefined;
  const s = state as Partial<EngineState>;
  if (s.version !== 1 || s.planId !== id || typeof s.blobs !== "object" || s.blobs === null) return undefined;
  const blobs: Record<string, BlobState> = {};
  for (const [digest, count] of chunkCounts) {
    const b = (s.blobs as Record<string, Partial<BlobState>>)[digest];
    if (!b || !Array.isArray(b.received) || b.received.length !== count || typeof b.hashed !== "number") continue;
    blobs[digest] = {
      hashed: b.hashed,
      received: b.received.map((n) => (typeof n === "number" && n >= 0 ? n : 0)),
      verified: b.verified === true,
      ...(typeof b.hasher === "string" ? { hasher: b.hasher } : {}),
    };
  }
  return { version: 1, planId: id, headersWritten: s.headersWritten === true, blobs };
}
