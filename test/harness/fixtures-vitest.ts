// vitest fixtures (test.extend) the suites share: things a test asks for by name, set
// up when the first test of a file asks and torn down after the file's last test.
// (Not to be confused with fixtures.ts, the images pushed to the harness registries.)
//
//   tempDir       a private directory, removed afterwards (kept with DOCKERDL_KEEP_HARNESS=1)
//   layersUnpacked umoci's unpack of test/layers:v1 (whiteoutLayers), what every view of
//                 its merged filesystem is compared with
//
// withOwnWorker starts a Worker of a file's own, for files that need other settings
// than the harness Worker's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test as base } from "vitest";
import { whiteoutLayers } from "./fixtures.ts";
import { buildImage, type BuiltImage } from "./image-builder.ts";
import { umociUnpack, walk, type Snapshot } from "./rootfs-snapshot.ts";
import { startWorker, type RunningWorker, type WorkerOptions } from "./wrangler.ts";

export interface Unpacked {
  image: BuiltImage;
  /** The unpacked tree, as rootfs-snapshot.ts reads it. */
  expected: Snapshot;
}

export const test = base.extend<{ $file: { tempDir: string; layersUnpacked: Unpacked } }>({
  tempDir: [
    async ({}, use) => {
      const dir = mkdtempSync(join(tmpdir(), "dockerdl-test-"));
      await use(dir);
      if (process.env.DOCKERDL_KEEP_HARNESS !== "1") rmSync(dir, { recursive: true, force: true });
    },
    { scope: "file" },
  ],
  layersUnpacked: [
    async ({ tempDir }, use) => {
      const image = buildImage({ oci: true, layers: whiteoutLayers() });
      await use({ image, expected: walk(umociUnpack(tempDir, image)) });
    },
    { scope: "file" },
  ],
});

/** Starts a Worker with `options`, hands it to a fixture's `use`, then stops it. */
export async function withOwnWorker(options: WorkerOptions, use: (worker: RunningWorker) => Promise<void>): Promise<void> {
  const worker = await startWorker(options);
  await use(worker);
  await worker.stop();
}
