// A pull's memory: V8 doubles its young generation each time a scavenge finds it busy,
// up to 2 × 16 MiB on 64-bit, and a pull allocates short-lived objects at a steady
// rate for its whole length (promises and views per socket read), so the young
// generation sat at its largest for nothing: V8's heap peaked at 30 MiB in a 2 GiB pull,
// 17 MiB held at the starting size (measured with process.memoryUsage(), the socket
// reads already freed as they are used: cli/network/http.ts). Scavenges then come more
// often and each stays as cheap, since almost nothing survives one. Set at run time, before the
// pull allocates: V8 reads this flag each time it decides to grow the young generation.
import { setFlagsFromString } from "node:v8";

export function keepYoungGenerationSmall(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}
