// Room for a File System Access download. Chromium writes into a hidden copy of the file
// (.crswap) and copies the whole file again at each commit (checkpointed-file.ts), so
// about twice the file's size must be free while it is written. How much is free the
// page can know only when the file lies in this site's own storage (the origin private
// file system, whose quota navigator.storage.estimate() reports); for a file picked on
// the person's disk it cannot, and says so in words instead. Even there the figure is a
// floor, not the room: the Storage Standard lets estimate() understate the quota (MDN:
// "there may be more space available"), and Chromium reports usage + 10 GiB whatever
// the quota really is (seen here: estimate() said usage + 10 GiB at 0 and at 50 MiB of
// usage, while the DevTools protocol's Storage.getUsageAndQuota gave the site 151 GiB). So
// the page shows it and never refuses on it; a disk that really fills is caught while
// writing (checkpointed-file.ts, NO_SPACE), keeps what was committed, and resumes.

export interface Space {
  /** Bytes that must be free while the file is written. */
  needed: number;
  /** Bytes free, when the file lies in this site's storage. */
  free?: number;
}

export async function spaceFor(handle: FileSystemFileHandle, size: number): Promise<Space> {
  const needed = 2 * size;
  try {
    const root = await navigator.storage.getDirectory();
    if ((await root.resolve(handle)) === null) return { needed };
    const { quota, usage } = await navigator.storage.estimate();
    return quota === undefined || usage === undefined ? { needed } : { needed, free: Math.max(0, quota - usage) };
  } catch {
    return { needed };
  }
}
