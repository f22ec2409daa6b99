// Which range bodies are read whole into a Blob (BodyReader.readHeld) rather than piece
// by piece. A Blob from response.blob() is filled in the browser's own store, straight
// from the network: the bytes never cross into the page's thread, and a Blob is written
// to a picked file the same way (FileSystemWritableFileStream.write takes it as it is).
// Measured in the bench's Chromium on a 640 MiB layer from loopback, 16 MiB ranges, six
// at once, into an OPFS file: read piece by piece and written in 4 MiB runs, 70–75 MB/s;
// read whole and written as Blobs, 173–175 MB/s (125–131 MB/s with SHA-256 on a thread
// of its own reading the Blobs back).
// A Blob is all or nothing, though: a connection that breaks loses what the attempt
// held, and progress moves once per range. So bodies are read whole only from an origin
// whose last whole read came fast enough for a 16 MiB range to take about two seconds
// (HELD_MIN_RATE); where it is slower, the network is the limit, not the page, and
// pieces cost nothing. A whole read is its own measure (the browser fills the Blob,
// whatever the page's thread is doing; a body read piece by piece is not: its pace is
// the busy thread's too). So an origin not measured yet, or measured slow, gets one
// whole read at a time as a probe: its first, and one after every REPROBE_AFTER bodies
// read piece by piece; the other connections go on piece by piece meanwhile.

/** Bytes per second an origin's last whole read must have come at for the next to be read whole. */
export const HELD_MIN_RATE = 8e6;
/** Bodies read whole are at most this long (the engine's ranges are 16–24 MiB)... */
export const HELD_MAX = 32 << 20;
/** ...and at least this long: a small body costs more as a Blob than it saves. */
export const HELD_MIN = 1 << 20;
/** An origin measured slow is probed again after this many bodies read piece by piece. */
export const REPROBE_AFTER = 16;

/**
 * Bodies read whole so far in this thread, their bytes, and how many of them stalled
 * while read back for hashing (web/workers/download/hash-blob.ts): the browser tests and
 * the bench read them as the download worker's global `dockerdlHeld`, to tell which path
 * a download took.
 */
export const heldSoFar = { bodies: 0, bytes: 0, stalled: 0 };
(globalThis as { dockerdlHeld?: typeof heldSoFar }).dockerdlHeld = heldSoFar;

interface OriginPace {
  /** Bytes per second of the last whole read; undefined before the first. */
  rate?: number;
  /** A probe (a whole read while the origin is unmeasured or slow) is under way. */
  probing: boolean;
  /** Bodies read piece by piece since the last probe. */
  sinceProbe: number;
}

const origins = new Map<string, OriginPace>();

function paceOf(origin: string): OriginPace {
  let pace = origins.get(origin);
  if (pace === undefined) origins.set(origin, (pace = { probing: false, sinceProbe: 0 }));
  return pace;
}

/**
 * May a body of `length` bytes from `origin` be read whole? Yes from an origin measured
 * fast; from one not measured or measured slow, only as its one probe at a time. A yes
 * must be followed by wholeRead or wholeReadFailed.
 */
export function mayHold(origin: string, length: number): boolean {
  if (length < HELD_MIN || length > HELD_MAX) return false;
  const pace = paceOf(origin);
  if ((pace.rate ?? 0) >= HELD_MIN_RATE) return true;
  if (!pace.probing && (pace.rate === undefined || pace.sinceProbe >= REPROBE_AFTER)) {
    pace.probing = true;
    pace.sinceProbe = 0;
    return true;
  }
  pace.sinceProbe++;
  return false;
}

/** A whole read from `origin` took `ms` for `bytes`. */
export function wholeRead(origin: string, bytes: number, ms: number): void {
  const pace = paceOf(origin);
  pace.probing = false;
  pace.rate = (bytes * 1000) / Math.max(1, ms);
}

/**
 * A whole read from `origin` failed: the origin counts as slow until a probe says
 * otherwise; one stopped on purpose (`aborted`: a pause) says nothing of its pace.
 */
export function wholeReadFailed(origin: string, aborted = false): void {
  const pace = paceOf(origin);
  pace.probing = false;
  if (!aborted) pace.rate = 0;
}

/** Forgets every origin (tests). */
export function forgetOrigins(): void {
  origins.clear();
}
