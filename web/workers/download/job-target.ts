// What a File System Access job downloads, resolved: one image (pinned to the digest the
// person saw, with the form's credentials) or a bundle of several (bundle.ts). Either way
// a plan, where its blobs come from (the own Worker, and the extra sources in settings for
// what needs no credentials), and what the job reports, stores to resume the same
// images, records in history, and records of the saved file for the explorer.

import { registryBlobSource, type SourceEvent } from "../../../shared/engine/index.ts";
import { familiarName, parseReference } from "../../../shared/reference.ts";
import type { Platform } from "../../../shared/platform.ts";
import type { ResolvedImage } from "../../../shared/registry/client.ts";
import type { TarPlan } from "../../../shared/tar.ts";
import type { HistoryEntry, UnfinishedJob } from "../../lib/db.ts";
import { jobSources, type JobSources } from "../../lib/extra-sources.ts";
import { planOf, proxyClient, resolvePinned, summarize, topDigest } from "../../lib/image-lookup.ts";
import type { BundleSummary, ImageSummary, StartJob } from "../../lib/protocol.ts";
import { bundleImageOf, resolveBundle } from "./bundle.ts";
import { CONNECTIONS } from "./file-download.ts";
import { remoteSHA256 } from "./remote-hasher.ts";

export interface JobTarget extends JobSources {
  plan: TarPlan;
  /** Sent with "running" and "done". */
  report: { summary: ImageSummary } | { bundle: BundleSummary };
  /** What an unfinished job keeps, so a resume fetches the same images. */
  stored: Pick<UnfinishedJob, "reference" | "platform" | "pinnedDigest" | "registry" | "bundle">;
  history: Pick<HistoryEntry, "reference" | "platform" | "digest" | "bundle">;
  /** The saved file's record: the image's, or a bundle's first. */
  saved: { reference: string; platform: Platform; manifestDigest: string };
}

export async function resolveTarget(job: StartJob, saved: UnfinishedJob | undefined, signal: AbortSignal, onSourceEvent: (event: SourceEvent) => void): Promise<JobTarget> {
  const bundle = saved?.bundle ?? job.bundle?.images;
  if (bundle) {
    const { images, plan, summary, clientOf, anonymous } = await resolveBundle(bundle, signal);
    const kept = images.map(bundleImageOf);
    const [first] = images;
    const reference = images.map((i) => familiarName(i.reference)).join(", ");
    return {
      plan, ...jobSources(registryBlobSource(clientOf, images), extraOptions(job, anonymous, onSourceEvent)), report: { bundle: summary },
      stored: { reference, platform: first.platform, pinnedDigest: topDigest(first), registry: first.reference.registry, bundle: kept },
      history: { reference, platform: first.platform, digest: first.manifest.digest, bundle: kept },
      saved: { reference, platform: first.platform, manifestDigest: first.manifest.digest },
    };
  }
  const client = proxyClient(job.credentials);
  const ref = parseReference(job.reference);
  const image = await resolvePinned(client, ref, job.platform, saved?.pinnedDigest ?? job.pinnedDigest, signal);
  const plan = planOf(image);
  const summary = summarize(image, plan);
  // Credentials stay with the own Worker: a signed-in download uses it alone.
  const anonymous = job.credentials?.username ? [] : [image];
  return {
    plan, ...jobSources(registryBlobSource(client, image), extraOptions(job, anonymous, onSourceEvent)), report: { summary },
    stored: { reference: summary.reference, platform: image.platform, pinnedDigest: topDigest(image), registry: ref.registry },
    history: { reference: summary.reference, platform: image.platform, digest: summary.digest },
    saved: { reference: summary.reference, platform: image.platform, manifestDigest: image.manifest.digest },
  };
}

function extraOptions(job: StartJob, anonymous: ResolvedImage[], onEvent: (event: SourceEvent) => void) {
  return { extra: job.sources, anonymous, connections: CONNECTIONS, createHasher: remoteSHA256, onEvent };
}
