// What the page may ask the download worker (lib/rpc.ts): look an image up for the
// platform picker, resolve it for one platform (the summary shown before downloading)
// or a bundle's images, list its repository's tags, and run, pause or cancel a File
// System Access download.
// The page's types for these calls come from this object: `Remote<DownloadServices>`.

import type { Platform } from "../../../shared/platform.ts";
import { parseReference } from "../../../shared/reference.ts";
import { lookUp, planOf, proxyClient, summarize } from "../../lib/image-lookup.ts";
import { withLookupDeadline } from "../../lib/lookup-deadline.ts";
import type { BundleRequest, ImageQuery, JobEvent, StartJob } from "../../lib/protocol.ts";
import type { Call } from "../../lib/rpc.ts";
import { lookUpBundle } from "./bundle.ts";
import { cancelJob, pauseJob, runJob } from "./file-job.ts";

export const services = {
  overview: ({ reference, credentials }: ImageQuery) =>
    withLookupDeadline(reference, (signal) => lookUp(proxyClient(credentials), parseReference(reference), signal)),

  resolve: ({ reference, platform, credentials }: ImageQuery & { platform?: Platform | undefined }) => withLookupDeadline(reference, async (signal) => {
    const image = await proxyClient(credentials).resolveImage(parseReference(reference), platform, { signal });
    return summarize(image, planOf(image));
  }),

  /** A bundle's images, each resolved or not (per image), and the one file's size with shared layers once. */
  resolveBundle: ({ images, platform }: { images: BundleRequest[]; platform: string }) => lookUpBundle(images, platform),

  /** At most 500, lexically last first (where new versions usually are); a failure means no suggestions. */
  tags: async ({ reference, credentials }: ImageQuery) => {
    const { tags } = await proxyClient(credentials).listTags(parseReference(reference), { max: 500 });
    return tags.reverse();
  },

  /** Runs the download into `handle`; the job's events are this call's progress, and it ends with the job. */
  start: ({ job, handle, resume }: { job: StartJob; handle: FileSystemFileHandle; resume: boolean }, call: Call<JobEvent>) =>
    runJob(job, handle, resume, call.progress),

  pause: ({ id }: { id: string }) => pauseJob(id),

  /** A job not running here is dropped at once, and its "cancelled" is this call's progress. */
  cancel: ({ id }: { id: string }, call: Call<JobEvent>) => cancelJob(id, call.progress),
};

export type DownloadServices = typeof services;
