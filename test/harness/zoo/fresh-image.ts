// An image of a zoo member's that nothing has pulled yet: its own layer bytes (so its own
// digests, which no mirror cache holds and whose first GET the cutting members cut), under
// a repository of its own. The bad-day suites give each client path one, so every path
// meets the upstream's misbehaviour rather than the mirror's cache.
import { createCipheriv, createHash } from "node:crypto";
import { buildImage, type BuiltImage } from "../image-builder.ts";
import type { MemberSpec } from "./members.ts";
import type { Zoo } from "./index.ts";
import { ZOO_TAG } from "./members.ts";

export interface FreshImage {
  image: BuiltImage;
  /** Its repository at the member (`zoo/<name>`). */
  repository: string;
  /** How a client names it through the mirror: `<member key>/zoo/<name>:v1`. */
  mirrorName: string;
  /** How a client names it at the member itself: `<member address>/zoo/<name>:v1`. */
  directName: string;
}

/** Noise of tens of MiB: AES-CTR's keystream, as fixed as a seed and far quicker than hashing. */
export function bulkNoise(seed: string, length: number): Uint8Array {
  const cipher = createCipheriv("aes-256-ctr", createHash("sha256").update(seed).digest(), Buffer.alloc(16));
  return new Uint8Array(cipher.update(Buffer.alloc(length)));
}

/** Pushes a one-layer image of `layerBytes` noise to `member` as `zoo/<name>:v1`. */
export async function pushFreshImage(zoo: Zoo, member: MemberSpec, name: string, layerBytes: number): Promise<FreshImage> {
  const repository = `zoo/${name}`;
  const image = buildImage({ layers: [[{ path: "data/", type: "directory" }, { path: "data/noise.bin", content: bulkNoise(`zoo/${member.id}/${name}`, layerBytes) }]] });
  await zoo.push(member.id, repository, ZOO_TAG, image);
  return {
    image,
    repository,
    mirrorName: `${member.key}/${repository}:${ZOO_TAG}`,
    directName: `${new URL(zoo.members[member.id].url).host}/${repository}:${ZOO_TAG}`,
  };
}
