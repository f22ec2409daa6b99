// The limits bench's control Worker (bench-only, never deployed): run by `wrangler dev`
// exactly as the mirror is, with the same R2 binding, it does the R2 operations the
// mirror's paths do, alone, with no mirror logic, so that the bench can measure what the
// local R2 simulator (a Durable Object inside the same workerd process) costs and take
// it out of the mirror's figures. Every body passes natively: no JavaScript per chunk.
//
//   PUT  /put?key=K[&sha256=H]          put(K, request.body, {sha256}) — a known-length body
//   GET  /get?key=K[&offset=O&length=L] get(K[, {range}]), the body returned as it comes
//   HEAD /get?key=K                     head(K)
//   GET  /relay?url=U                   fetch(U) returned as it comes, no R2: the runtime's
//                                       own cost of moving bytes in and out (a reference)
//   GET  /noop                          204: what a request costs with nothing done
//
// It is typed against the few R2 calls it makes, so it type-checks with the bench's Node
// types; workerd runs it.

interface Bucket {
  put(key: string, value: ReadableStream | string | null, options?: { sha256?: string }): Promise<unknown>;
  get(key: string, options?: { range?: { offset: number; length: number } }): Promise<{ body: ReadableStream; size: number } | null>;
  head(key: string): Promise<{ size: number } | null>;
}

export default {
  async fetch(request: Request, env: { CACHE: Bucket }): Promise<Response> {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "";
    switch (url.pathname) {
      case "/put": {
        const sha256 = url.searchParams.get("sha256");
        await env.CACHE.put(key, typeof request.body === "object" && request.body !== null ? request.body : "", sha256 ? { sha256 } : {});
        return new Response("stored\n", { status: 201 });
      }
      case "/get": {
        if (request.method === "HEAD") {
          const meta = await env.CACHE.head(key);
          return new Response(null, { status: meta ? 200 : 404, headers: meta ? { "content-length": String(meta.size) } : {} });
        }
        const offset = url.searchParams.get("offset");
        const length = url.searchParams.get("length");
        const range = offset !== null && length !== null ? { offset: Number(offset), length: Number(length) } : undefined;
        const object = await env.CACHE.get(key, range ? { range } : {});
        if (!object) return new Response("not found\n", { status: 404 });
        return new Response(object.body, { status: range ? 206 : 200 });
      }
      case "/relay": {
        const upstream = await fetch(url.searchParams.get("url") ?? "");
        return new Response(upstream.body, upstream);
      }
      case "/noop":
        return new Response(null, { status: 204 });
      default:
        return new Response("not found\n", { status: 404 });
    }
  },
};
