// SHA-256 for the shared blob verifier (shared/verify.ts), from workerd's native
// DigestStream: a Worker may not compile WebAssembly from bytes, so hash-wasm (what the
// page and the CLI pass in) can't run here, and the native hash is faster anyway.
import { toHex } from "../shared/digest.ts";
import type { BlobHasher } from "../shared/verify.ts";

export function nativeSha256(): BlobHasher {
  const stream = new crypto.DigestStream("SHA-256");
  const writer = stream.getWriter();
  return {
    update: (data) => writer.write(data),
    async digest() {
      await writer.close();
      return toHex(new Uint8Array(await stream.digest));
    },
  };
}
