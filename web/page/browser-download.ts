// How the page hands a file to the browser: whether it can pick a file to write
// (showSaveFilePicker, Chromium) or stream through the service worker, a download the
// service worker answers (a hidden iframe: an <a download> would bypass the service
// worker), and a Blob saved through a link.

export const canPickFile = (): boolean => typeof window.showSaveFilePicker === "function";
export const canStream = (): boolean => "serviceWorker" in navigator;

/** Starts the browser download of `path`; the caller removes the frame when it is over. */
export function downloadThroughFrame(path: string): HTMLIFrameElement {
  const frame = document.createElement("iframe");
  frame.hidden = true;
  frame.title = "download";
  frame.src = path;
  document.body.append(frame);
  return frame;
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
