// Registry answers as errors a user can act on (shared/registry/errors.ts): a mirror's 502
// for a blob is a gateway that could not reach or read its upstream, never "not found",
// in the mirror's own words when its error body has some (cut to a sentence's length).
import { describe, expect, it } from "vitest";
import { errorFromResponse } from "../../shared/registry/errors.ts";

const answer = (status: number, body: unknown) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("errorFromResponse", () => {
  it("reads a mirror's 502 BLOB_UNKNOWN as an upstream it could not reach or read, in its own words", async () => {
    const error = await errorFromResponse(answer(502, { errors: [{ code: "BLOB_UNKNOWN", message: "docker.io sent a blob whose digest does not match; not passing it on" }] }), "layer sha256:ab", "mirror.example");
    expect(error).toMatchObject({ code: "UPSTREAM", key: "UPSTREAM.gateway", status: 502 });
    expect(error.message).toBe("mirror.example could not reach or read the registry behind it for layer sha256:ab (502): docker.io sent a blob whose digest does not match; not passing it on");
    expect(error.message).not.toMatch(/not found/i);
  });

  it("keeps a 502's words to a sentence, and says the same without any", async () => {
    const long = await errorFromResponse(answer(502, { errors: [{ code: "UNKNOWN", message: "x".repeat(2000) }] }), "layer sha256:ab", "mirror.example");
    expect(long.message.length).toBeLessThan(450);
    expect(long.message).toMatch(/x…$/);
    const bare = await errorFromResponse(answer(502, "<html>Bad Gateway</html>"), "layer sha256:ab", "mirror.example");
    expect(bare.message).toBe("mirror.example could not reach or read the registry behind it for layer sha256:ab (502)");
  });

  it("still reads a 404, or a 4xx naming *_UNKNOWN, as not found", async () => {
    expect(await errorFromResponse(answer(404, ""), "layer sha256:ab", "reg.example")).toMatchObject({ code: "NOT_FOUND" });
    expect(await errorFromResponse(answer(400, { errors: [{ code: "MANIFEST_UNKNOWN", message: "" }] }), "image x", "reg.example")).toMatchObject({ code: "NOT_FOUND" });
  });
});
