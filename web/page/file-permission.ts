// Permission to use a file handle again that IndexedDB kept (an unfinished download's
// file, an image file the explorer reads layers from): Chromium asks the person again
// after a reload, and only during a click.

/** Whether the page may use `handle` in `mode`, asking the person when the browser needs to. */
export async function ensurePermission(handle: FileSystemHandle, mode: "read" | "readwrite"): Promise<PermissionState> {
  try {
    const now = (await handle.queryPermission?.({ mode })) ?? "granted";
    return now === "granted" ? now : ((await handle.requestPermission?.({ mode })) ?? "denied");
  } catch {
    return "denied";
  }
}
