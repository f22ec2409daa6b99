// The registry zoo: emulations of the registries users pull from (members.ts) in front of
// one real docker-registry, each member with an image of its own (its own digests, so one
// member's pull never fills the mirror's cache for another), and optionally the Worker
// under `wrangler dev` with UPSTREAMS naming every member by its real registry name.
// A test file starts one (startZoo) and steers and reads it through `state`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pushFixtures } from "../fixtures.ts";
import { buildImage, buildIndex, noise, type BuiltImage, type BuiltIndex } from "../image-builder.ts";
import { startRegistry, type Registry } from "../registry.ts";
import { startWorker, type RunningWorker } from "../wrangler.ts";
import { bulkNoise } from "./fresh-image.ts";
import { startMember, type RunningMember } from "./front.ts";
import { BAD_DAY_MEMBERS, MEMBERS, repositoryOf, ZOO_TAG, type MemberSpec } from "./members.ts";
import { ZooState } from "./state.ts";

export { BAD_DAY_MEMBERS, MEMBERS, repositoryOf, ZOO_TAG, type MemberSpec } from "./members.ts";

export interface ZooImage {
  repository: string;
  /** The index's digest for ghcr, else the image manifest's. */
  digest: string;
  /** The image pulled for linux/amd64. */
  image: BuiltImage;
  /** Layer bytes of that image. */
  layerBytes: number;
}

export interface Zoo {
  state: ZooState;
  members: Record<string, RunningMember & { image: ZooImage }>;
  /** UPSTREAMS for a mirror in front of the zoo. */
  upstreams: Record<string, string>;
  worker?: RunningWorker;
  /** Pushes one more image to a member's repositories (a test's own, which no cache holds yet). */
  push(member: string, repository: string, tag: string, image: BuiltImage): Promise<void>;
  dir: string;
  stop(): Promise<void>;
}

/** Big enough that a throttled download can be stopped half way; small enough to stay quick. */
const NOISE_BYTES = 768 << 10;

function imageFor(spec: MemberSpec): BuiltImage | BuiltIndex {
  const content = (arch: string) => spec.layerBytes === undefined ? noise(`zoo/${spec.id}/${arch}`, NOISE_BYTES) : bulkNoise(`zoo/${spec.id}/${arch}`, spec.layerBytes);
  const layers = (arch: string) => [
    [{ path: "etc/", type: "directory" as const }, { path: "etc/zoo-release", content: `${spec.id} ${arch}\n` }],
    [{ path: "data/", type: "directory" as const }, { path: "data/noise.bin", content: content(arch) }],
  ];
  if (!spec.index) return buildImage({ layers: layers("amd64") });
  const platforms = [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64", variant: "v8" }];
  return buildIndex(platforms.map((platform) => buildImage({ oci: true, platform, layers: layers(platform.architecture) })), { oci: true, attestations: true });
}

/**
 * `members`: the ids of the members to start, from MEMBERS and BAD_DAY_MEMBERS (default:
 * every member of MEMBERS); UPSTREAMS names only those.
 */
export async function startZoo(options: { worker?: boolean; vars?: Record<string, string>; hubApi?: string; members?: string[] } = {}): Promise<Zoo> {
  const specs = options.members === undefined ? MEMBERS : [...MEMBERS, ...BAD_DAY_MEMBERS].filter((m) => options.members?.includes(m.id));
  const dir = mkdtempSync(join(tmpdir(), "dockerdl-zoo-"));
  const state = new ZooState();
  const started: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    for (const s of started.reverse()) await s.stop();
    if (process.env.DOCKERDL_KEEP_HARNESS !== "1") rmSync(dir, { recursive: true, force: true });
  };
  try {
    const backend: Registry = await startRegistry("zoo", join(dir, "registry"), { kind: "none" });
    started.push(backend);
    const members: Zoo["members"] = {};
    for (const spec of specs) {
      const built = imageFor(spec);
      const repository = repositoryOf(spec);
      await pushFixtures({ url: backend.url, authorization: () => undefined }, [{ repository: `${spec.id}/${repository}`, tag: ZOO_TAG, built }]);
      const image = "images" in built ? built.images[0] : built;
      const member = await startMember(spec, backend.url, state);
      started.push(member);
      members[spec.id] = { ...member, image: { repository, digest: built.manifest.digest, image, layerBytes: image.layers.reduce((n, l) => n + l.bytes.length, 0) } };
    }
    const upstreams = Object.fromEntries(specs.map((m) => [m.key, members[m.id].url]));
    let worker: RunningWorker | undefined;
    if (options.worker) {
      worker = await startWorker({ upstreams, ...(options.hubApi ? { hubApi: options.hubApi } : {}), vars: { RATE_LIMIT: "0", ...options.vars }, persistDir: join(dir, "wrangler-state"), logDir: dir, name: "wrangler-zoo" });
      started.push(worker);
    }
    const push = async (member: string, repository: string, tag: string, built: BuiltImage) => {
      await pushFixtures({ url: backend.url, authorization: () => undefined }, [{ repository: `${member}/${repository}`, tag, built }]);
    };
    return { state, members, upstreams, ...(worker ? { worker } : {}), push, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
