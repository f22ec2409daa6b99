// The streamed download of an explorer save, for browsers without showSaveFilePicker:
// the page hands the service worker one end of a MessagePort and the explore worker the
// other, then navigates a hidden iframe to EXPORT_STREAM_PATH + id. The service worker
// answers that request by pulling chunks over the port, one per read.

/** What an explorer save writes: one file's bytes, a folder or filesystem as ZIP, or as tar. */
export type ExportKind = "file" | "zip" | "tar";

/** The Content-Type of a save. */
export function contentTypeOf(kind: ExportKind): string {
  return kind === "zip" ? "application/zip" : kind === "tar" ? "application/x-tar" : "application/octet-stream";
}

export const EXPORT_STREAM_PATH = "/_explore-download/";

/** Over that port: the service worker pulls, the explore worker answers one message per pull. */
export type PortStreamMessage =
  | { kind: "pull" }
  | { kind: "cancel" }
  | { kind: "chunk"; bytes: Uint8Array }
  | { kind: "end" }
  | { kind: "error"; message: string };
