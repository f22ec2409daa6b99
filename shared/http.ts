// The fetch-shaped interfaces through which shared/ does HTTP. shared/ never touches a
// global fetch (it is not declared for it): the caller passes one in. Global fetch in
// browsers, Workers and Node satisfies `HttpFetch` structurally, and tests can pass a
// fake without any HTTP at all.

export interface HttpHeaders {
  get(name: string): string | null;
}

export interface HttpRequestInit {
  method?: "GET" | "HEAD" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** "manual" lets the registry client drop Authorization on cross-origin redirects itself. */
  redirect?: "follow" | "manual";
  signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly url: string;
  /** "opaqueredirect" in browsers for redirect: "manual"; the Location is then hidden. */
  readonly type?: string;
  readonly headers: HttpHeaders;
  readonly body: ReadableStream<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

export type HttpFetch = (url: string, init: HttpRequestInit) => Promise<HttpResponse>;

/** Drops a response body we will not read, so the connection can be reused. */
export async function discardBody(response: HttpResponse): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // a body that already failed has nothing left to release
  }
}

/** The whole body, for manifests, configs and error documents (all small). */
export async function readBody(response: HttpResponse, limit: number): Promise<Uint8Array> {
  const length = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(length) && length > limit) {
    await discardBody(response);
    throw new RangeError(`the response is ${length} bytes, more than the ${limit} expected at most`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > limit) throw new RangeError(`the response is ${bytes.length} bytes, more than the ${limit} expected at most`);
  return bytes;
}
