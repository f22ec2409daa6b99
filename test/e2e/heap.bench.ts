// By hand, not in `npm test` (it pushes and downloads a large image): measures the JS
// heap of the page and of the download worker while the PWA saves an image of 1 GiB or
// more through File System Access, to show memory stays bounded whatever the size.
//
//   node scripts/node22.mjs test/e2e/heap.bench.ts [size in MiB, default 1024]
//
// Prints the largest JSHeapUsedSize seen (CDP Performance.getMetrics on the page;
// Runtime.getHeapUsage on the dedicated worker) and the throughput.
import { createHash, randomBytes } from "node:crypto";
import { startHarness } from "../harness/harness.ts";
import { OCI_LAYER } from "../../shared/media-types.ts";
import { imageConfig, imageManifest } from "../harness/image-pieces.ts";
import { pushBlob, pushManifest } from "../harness/registry-push.ts";
import { REGISTRY_SERVICE } from "../harness/registry.ts";
import { clickDownload, openApp, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { launch } from "./browser.ts";
import { sampleHeap } from "./heap-sampler.ts";

const sizeMiB = Number(process.argv[2] ?? 1024);
const LAYER_MIB = 256;
const repository = "bench/big";
const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

const harness = await startHarness({ worker: true });
const browser = await launch();
try {
  const authorization = () =>
    `Bearer ${harness.tokenServer.mintToken(REGISTRY_SERVICE, [{ type: "repository", name: repository, actions: ["pull", "push"] }], "bench")}`;
  const pusher = { url: harness.info.registry, authorization };
  // Random bytes, stored as uncompressed layers: nothing decompresses them on the way,
  // and random data keeps any compression along the path from shrinking the transfer.
  const layers: { digest: string; size: number }[] = [];
  for (let left = sizeMiB; left > 0; left -= LAYER_MIB) {
    const bytes = randomBytes(Math.min(left, LAYER_MIB) << 20);
    const digest = sha256(bytes);
    await pushBlob(pusher, repository, { digest, bytes });
    layers.push({ digest, size: bytes.length });
  }
  const config = imageConfig({ diffIds: layers.map((l) => l.digest) });
  const configDigest = sha256(config);
  await pushBlob(pusher, repository, { digest: configDigest, bytes: config });
  const manifest = imageManifest("oci", { digest: configDigest, size: config.length }, layers.map((l) => ({ ...l, mediaType: OCI_LAYER })));
  await pushManifest(pusher, repository, "v1", manifest.bytes, manifest.mediaType);
  console.log(`pushed ${repository}:v1, ${sizeMiB} MiB in ${layers.length} layers`);

  const page = await browser.newPage();
  const heap = await sampleHeap(browser.context, page);
  await openApp(page, harness.info.worker!);
  await typeReference(page, `${repository}:v1`);
  await waitForSummary(page);
  const started = Date.now();
  await clickDownload(page);
  const status = await waitForJobEnd(page);
  const seconds = (Date.now() - started) / 1000;
  const { page: pageMax, workers: workerMax } = await heap.stop();
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  console.log(`download ${status}: ${sizeMiB} MiB in ${seconds.toFixed(1)} s (${(sizeMiB / seconds).toFixed(1)} MiB/s)`);
  console.log(`max JS heap used: page ${mib(pageMax)}, download workers ${workerMax ? mib(workerMax) : "(not measured)"}`);
} finally {
  await browser.close();
  await harness.stop();
}
