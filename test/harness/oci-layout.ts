// Writes a built image as an OCI image layout directory, the input umoci and skopeo's
// oci: transport read: a reference to compare our own readers against.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BuiltImage } from "./image-builder.ts";

export function writeOciLayout(dir: string, image: BuiltImage, tag: string): void {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  for (const blob of [image.manifest, image.config, ...image.layers]) {
    writeFileSync(join(blobs, blob.digest.slice(7)), blob.bytes);
  }
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: image.mediaType,
      digest: image.manifest.digest,
      size: image.manifest.bytes.length,
      annotations: { "org.opencontainers.image.ref.name": tag },
    }],
  }));
}
