// The malformed requests of bad-input.test.ts: bad paths, percent-encodings, methods,
// headers, query strings, Range values, digests, ?ns= values, long names and escaped
// NUL/CR/LF, against the registry routes, /token and the seed API. Each must be refused
// with a 4xx. Paths are sent as written (the URL parser keeps bad escapes as they are).
import { UPSTREAM_KEY } from "./mirror.ts";

export interface BadRequest {
  name: string;
  path: string;
  init?: RequestInit;
}

const HEX = "a".repeat(64);
const R = `/v2/${UPSTREAM_KEY}/team/app`;
/** A blob the test seeds as cached and public, for Range values that cannot be served. */
export const CACHED_BLOB_PATH = `${R}/blobs/`;

const get = (name: string, path: string, headers?: Record<string, string>): BadRequest => ({ name, path, init: headers ? { headers } : undefined });
const method = (verb: string, path: string, body?: string, headers?: Record<string, string>): BadRequest => ({
  name: `${verb} ${path.slice(0, 60)}`,
  path,
  init: { method: verb, body, headers },
});

const BAD_TAGS = [
  "%E0%A4%A", "%", "%ZZ", "%C0%AF", "%FF", "%00", "%0d%0a", "a%0d%0aX-Injected:%201", "%2e%2e", "...", "-tag", ".tag",
  "t".repeat(129), "tag%20x", "tag%09x", "sha256:abc", `sha256:${"A".repeat(64)}`, `sha512:${HEX}${HEX}`, `md5:${"a".repeat(32)}`,
  "%E2%80%AE", "%F0%9F%90%B3", "%u0041", "%%", "%2", "tag%2Fother", "tag%5Cx",
];
const BAD_DIGESTS = [
  "%C0%AF", "%", "%E0%A4%A", "%ZZ", "latest", "sha256:short", `sha256:${"A".repeat(64)}`, `sha512:${HEX}`, `sha256:${HEX}%00`,
  `sha256:${HEX}a`, `sha256:${"g".repeat(64)}`, `SHA256:${HEX}`, `sha256%3A${"z".repeat(64)}`, "%0d%0a", `sha256:${HEX.slice(1)}%0a`,
];
const BAD_NAMES = [
  "/v2/Team/App/manifests/latest", "/v2/../etc/manifests/latest", `/v2/${UPSTREAM_KEY}//app/manifests/latest`,
  "/v2/te%25am/manifests/latest", `/v2/${"a".repeat(300)}/manifests/latest`, `/v2/${"a/".repeat(130)}a/manifests/latest`,
  "/v2/_private/manifests/latest", "/v2/a..b/manifests/latest", "/v2/evil.example/x/manifests/latest",
  "/v2/127.0.0.1:5000/x/manifests/latest", "/v2/localhost/x/manifests/latest", "/v2/[::1]/x/manifests/latest",
  "/v2//manifests/latest", `/v2/${UPSTREAM_KEY}/manifests/latest`, "/v2/team%00/manifests/latest", "/v2/team%0a/blobs/sha256:" + HEX,
  "/v2/%E0%A4%A/manifests/latest", "/v2/x-/manifests/latest", `/v2/${UPSTREAM_KEY}/te am/manifests/latest`,
];
const BAD_KINDS = [
  `${R}/blobs/uploads/`, `${R}/uploads/`, "/v2/_catalog", `${R}/tags/list2`, `${R}/referrers/sha256:${HEX}`, `${R}/manifests/`,
  `${R}/manifests/a/b`, `${R}/blobs/`, `${R}`, "/v2/x", "/v2x", "/v1", "/v2/x/tags", `${R}/manifests`,
];
const BAD_NS = [
  "evil.example", "%00", "127.0.0.1", "", "a".repeat(5000), "%E0%A4%A", "docker.io", "..", "registry.test%0d%0a",
];
/** Range values no cached blob can serve: 416. */
export const UNSATISFIABLE_RANGES = ["bytes=10000-", "bytes=-0", "bytes=99999999999-", "bytes=18446744073709551616-", "bytes=10000-20000"];
const GARBAGE_RANGES = ["bytes=abc", "bytes=5-1", "items=0-1", "bytes=0-1,2-3", `bytes=${"9".repeat(400)}-`, "bytes=-", "bytes=0-%00"];

export const BAD_REQUESTS: BadRequest[] = [
  ...BAD_TAGS.map((tag) => get(`manifest tag ${tag.slice(0, 40)}`, `${R}/manifests/${tag}`)),
  ...BAD_TAGS.slice(0, 6).map((tag) => ({ ...get(`HEAD manifest tag ${tag}`, `${R}/manifests/${tag}`), init: { method: "HEAD" } })),
  ...BAD_DIGESTS.map((digest) => get(`blob digest ${digest.slice(0, 40)}`, `${R}/blobs/${digest}`)),
  ...BAD_NAMES.map((path) => get(`name in ${path.slice(0, 60)}`, path)),
  ...BAD_KINDS.map((path) => get(`path ${path}`, path)),
  ...BAD_NS.map((ns) => get(`?ns=${ns.slice(0, 30)}`, `/v2/team/app/manifests/latest?ns=${ns}`)),
  get("/v2/ with an unknown ?ns=", "/v2/?ns=evil.example"),
  get("two ?ns= values", "/v2/Team/manifests/latest?ns=registry.test&ns=docker.io"),
  ...["PUT", "POST", "DELETE", "PATCH", "PROPFIND"].flatMap((verb) => [method(verb, `${R}/manifests/latest`, verb === "PUT" || verb === "POST" ? "{}" : undefined), method(verb, `${R}/blobs/sha256:${HEX}`)]),
  method("POST", `${R}/blobs/uploads/`),
  method("PUT", "/token", "x"),
  method("DELETE", "/token"),
  method("PUT", "/api/search", "{}"),
  method("DELETE", "/api/download"),
  method("PATCH", "/api/image-details", "{}"),
  ...UNSATISFIABLE_RANGES.map((range) => get(`unsatisfiable Range ${range.slice(0, 30)}`, "cached-blob", { range })),
  ...GARBAGE_RANGES.map((range) => get(`Range ${range.slice(0, 30)} on an unknown blob`, `${R}/blobs/sha256:${"b".repeat(64)}`, { range })),
  get("huge query string on a manifest", `${R}/manifests/%ZZ?${"x=1&".repeat(1_500)}`),
  get("odd query string on tags/list", `/v2/${UPSTREAM_KEY}/team/missing/tags/list?n=-1&last=%00&n=%E0%A4%A`),
  get("query of escapes on a manifest of a missing repository", `/v2/${UPSTREAM_KEY}/team/missing/manifests/latest?%0d%0a=%00`),
  get("garbage Bearer on a private repository", `/v2/${UPSTREAM_KEY}/team/secret/manifests/latest`, { authorization: "Bearer %00garbage" }),
  get("bad Basic on a private repository", `/v2/${UPSTREAM_KEY}/team/secret/manifests/latest`, { authorization: "Basic !!!not-base64" }),
  get("an Accept of nonsense on a missing manifest", `/v2/${UPSTREAM_KEY}/team/missing/manifests/latest`, { accept: "text/html, */*;q=bogus" }),
  get("If-Range garbage on a missing blob", `${R}/blobs/sha256:${"c".repeat(64)}`, { range: "bytes=0-1", "if-range": "%00" }),
  get("/token for an unknown service", "/token?service=evil.example"),
  get("/token for an unknown registry's scope", "/token?scope=repository:evil.example/x:pull"),
  get("/token with a bad service escape", "/token?service=%E0%A4%A"),
  get("/token for an upper-case repository name", `/token?service=${UPSTREAM_KEY}&scope=repository:Team/App:pull`),
  get("/token for a scope full of escapes", `/token?service=${UPSTREAM_KEY}&scope=repository:%25%00%0d%0a/x:pull`),
  get("an unknown API path", "/api/nope"),
  get("an unknown v1 path", "/v1/nope"),
  get("image-details without an image", "/api/image-details"),
  get("image-details with a bad escape", "/api/image-details?image=%E0%A4%A"),
  get("image-details with an upper-case name", "/api/image-details?image=Team/App"),
  get("image-details with a NUL", "/api/image-details?image=team%00app"),
  get("image-details for an unknown registry", "/api/image-details?image=evil.example/x"),
  get("download with a bad reference", "/api/download?image=::"),
  get("download with a CR/LF reference", "/api/download?image=a%0d%0ab"),
  get("download with a long reference", `/api/download?image=${"a".repeat(5000)}`),
  get("search with a query too long", `/api/search?q=${"a".repeat(200)}`),
  method("POST", "/api/search", "<html>", { "content-type": "text/html" }),
  method("POST", "/api/search", "{not json", { "content-type": "application/json" }),
  method("POST", "/api/search", "[1,2]", { "content-type": "application/json" }),
  method("POST", "/api/search", '{"query":"x","evil":1}', { "content-type": "application/json" }),
  method("POST", "/api/image-details", "", { "content-type": "application/json" }),
  method("POST", "/api/download", JSON.stringify({ image: "x".repeat(100_000) }), { "content-type": "application/json" }),
  ...[
    { images: { 0: "a" } }, { images: [null] }, { images: [["a"]] }, { images: ["a\r\nb"] }, { images: [{ image: "a", platform: 5 }] },
    { images: [{ image: "x".repeat(600) }] }, { images: Array.from({ length: 500 }, () => "a") }, { images: ["evil.example/x:1"] },
  ].map((body) => method("POST", "/api/download", JSON.stringify(body), { "content-type": "application/json" })),
];
