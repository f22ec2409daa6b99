// A small file read whole, but never more than a cap: the read itself stops at cap + 1
// bytes, because stat cannot be trusted to say how much there is (a FIFO or a device
// such as /dev/zero reports size 0 and never ends).

import { open } from "node:fs/promises";

/** `path`'s bytes, or `tooLarge` when it holds more than `limit` (only limit + 1 are read). */
export async function readAtMost(path: string, limit: number): Promise<{ bytes: Buffer; tooLarge: boolean }> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(limit + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled > limit ? { bytes: buffer.subarray(0, limit), tooLarge: true } : { bytes: buffer.subarray(0, filled), tooLarge: false };
  } finally {
    await handle.close();
  }
}
