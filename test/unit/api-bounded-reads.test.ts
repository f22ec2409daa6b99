// The seed API reads what it is sent with a cap, never whole: a client's POST body and
// Docker Hub's answers. A 64 MiB body without Content-Length is refused after the first
// few chunks (a Worker isolate has 128 MB; one such body would end every request in it).
import { afterEach, describe, expect, it, vi } from "vitest";
import { hubGet, HUB_BODY_LIMIT } from "../../proxy/api/hub.ts";
import { MAX_BODY_BYTES, readParams } from "../../proxy/api/input.ts";
import { loadConfig } from "../../proxy/config.ts";
import { CHUNK, endlessBody } from "../harness/endless-body.ts";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("bounded reads in the seed API", () => {
  it("refuses a 64 MiB POST body without Content-Length with 413, reading only its start", async () => {
    const { body, pulled, cancelled } = endlessBody(64 << 20, 0x20);
    const request = new Request("http://x/api/search", { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    expect(request.headers.get("content-length")).toBeNull();
    await expect(readParams(request, { query: ["q"] })).rejects.toMatchObject({ status: 413, message: expect.stringContaining("larger than") });
    expect(pulled()).toBeLessThanOrEqual(MAX_BODY_BYTES + 2 * CHUNK);
    expect(cancelled()).toBe(true);
  });

  it("refuses a 64 MiB Docker Hub answer without Content-Length with 502, reading only its start", async () => {
    const { body, pulled, cancelled } = endlessBody(64 << 20, 0x20);
    const fetch = vi.fn(async () => new Response(body, { headers: { "content-type": "application/json" } }));
    vi.stubGlobal("fetch", fetch);
    const config = loadConfig({ HUB_API: "https://hub.example" });
    await expect(hubGet(config, "/v2/repositories/library/nginx/", {}, { message: "not found", key: "NOT_FOUND.hub_repository", params: { image: "nginx" } })).rejects.toMatchObject({
      status: 502,
      code: "UPSTREAM",
      message: expect.stringContaining("more than"),
    });
    expect(fetch).toHaveBeenCalledOnce();
    expect(pulled()).toBeLessThanOrEqual(HUB_BODY_LIMIT + 2 * CHUNK);
    expect(cancelled()).toBe(true);
  });

  it("still reads Docker Hub's ordinary answers", async () => {
    vi.stubGlobal("fetch", async () => Response.json({ name: "nginx", namespace: "library" }));
    await expect(hubGet(loadConfig({ HUB_API: "https://hub.example" }), "/v2/repositories/library/nginx/", {}, { message: "not found", key: "NOT_FOUND.hub_repository", params: { image: "nginx" } })).resolves.toEqual({ name: "nginx", namespace: "library" });
  });
});
