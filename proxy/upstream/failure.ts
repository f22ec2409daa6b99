// The response for an upstream the proxy could not or would not reach.
import { ForbiddenTargetError } from "./address-guard.ts";
import { registryError } from "../v2/errors.ts";

export function upstreamFailure(error: unknown, key: string): Response {
  if (error instanceof ForbiddenTargetError) return registryError(403, "DENIED", error.message);
  return registryError(502, "UNKNOWN", `could not reach registry ${key}: ${error instanceof Error ? error.message : String(error)}`);
}
