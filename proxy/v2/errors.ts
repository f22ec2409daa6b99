// Errors in the distribution spec's shape, {errors:[{code,message,detail}]}, built in
// one place so every refusal the proxy makes reads the same to docker, podman and people.

export type RegistryErrorCode =
  | "UNAUTHORIZED"
  | "DENIED"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "BLOB_UNKNOWN"
  | "DIGEST_INVALID"
  | "TAG_INVALID"
  | "RANGE_INVALID"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  | "UNKNOWN";

export function registryError(status: number, code: RegistryErrorCode, message: string, detail?: unknown, headers?: HeadersInit): Response {
  const body = JSON.stringify({ errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] });
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("docker-distribution-api-version", "registry/2.0");
  return new Response(body, { status, headers: h });
}
