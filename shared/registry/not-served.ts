// "This mirror does not serve that registry", as a dockerdl Worker says it (proxy/v2/)
// and a client reads it (errors.ts): a 404 NAME_UNKNOWN whose error carries this marker
// in `detail` (the distribution spec's free-form field), so no client has to parse
// English. The message keeps the wording older clients recognise; older Workers send
// only the message, which errors.ts still reads as a fallback.

export const NOT_SERVED = "REGISTRY_NOT_SERVED";

export interface NotServedDetail {
  reason: typeof NOT_SERVED;
  /** The UPSTREAMS key the client asked for, e.g. "quay.io". */
  registry: string;
  /** The keys the mirror does serve. */
  serves: string[];
}

/** The one message and marker for a registry the mirror has no upstream for. */
export function notServed(registry: string, serves: readonly string[]): { message: string; detail: NotServedDetail } {
  return {
    message: `registry "${registry}" is not configured on this mirror; it serves: ${serves.join(", ")}. The operator can add it to UPSTREAMS.`,
    detail: { reason: NOT_SERVED, registry, serves: [...serves] },
  };
}

/** The marker in an error's `detail`, if it is one (anything else, or a malformed one: undefined). */
export function readNotServed(detail: unknown): { registry: string; serves: string[] } | undefined {
  if (typeof detail !== "object" || detail === null) return undefined;
  const { reason, registry, serves } = detail as Partial<Record<keyof NotServedDetail, unknown>>;
  if (reason !== NOT_SERVED || typeof registry !== "string" || !Array.isArray(serves) || !serves.every((s) => typeof s === "string")) return undefined;
  return { registry, serves };
}
