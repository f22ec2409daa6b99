// Which Content-Types the relay passes on as JSON (proxy/v2/relay.ts): exact JSON media
// types, parameters allowed, never a type that merely mentions json.
import { expect, it } from "vitest";
import { isJsonMediaType } from "../../proxy/v2/relay.ts";

it("accepts application/json and the registry's +json types, with parameters", () => {
  for (const type of ["application/json", "Application/JSON", "application/json; charset=utf-8", 'application/json;charset="utf-8"', "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.index.v1+json; charset=utf-8"]) {
    expect(isJsonMediaType(type), type).toBe(true);
  }
});

it("refuses types that only mention json, other +json types, and malformed ones", () => {
  for (const type of [null, "", "text/html;x=json", "text/html; charset=json", "text/json-ish", "application/jsonp", "text/html, application/json", "application/json; <script>", "application/vnd.evil+json", "image/svg+xml;json=1", "application/json;"]) {
    expect(isJsonMediaType(type), String(type)).toBe(false);
  }
});
