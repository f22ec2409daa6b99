// The registries the zoo emulates, as data: where each one's token service lives and what
// it answers, where its blobs are redirected to, and which misbehaviour it shows. front.ts
// and storage.ts read this; nothing here runs. Every behaviour names what it follows.
//
// Sources (looked up 2026-11-30):
// - distribution spec and token auth spec: the 401 challenge, `token`/`access_token`,
//   `expires_in` (default 60 s), blob GETs MAY answer 307 to another host.
// - Docker Hub (docs.docker.com "Pull usage and limits", docker/docs PRs 20788, 22134):
//   realm https://auth.docker.io/token on its own host, service registry.docker.io,
//   answers {token, access_token, expires_in: 300, issued_at}; manifest GETs are counted,
//   HEADs are not; `ratelimit-limit: 100;w=21600`, `ratelimit-remaining: N;w=21600`; blobs
//   307 to production.cloudflare.docker.com with an expiring signed query (`verify=`).
//   The headers come "on both GET and HEAD requests ... using HEAD will not [count]", the
//   way the docs tell users to check what is left (docker/docs commit 0a951c5), so a HEAD
//   is answered even once the limit is spent; the 429 comes "when the manifest is
//   requested" by a counted pull. Authenticated pulls are counted per account, with a
//   limit of their own ("Personal (authenticated) 100 per 6 hours", unauthenticated "10 per
//   IPv4 address or IPv6 /64 subnet": PR 22134; "pulls are accounted to the user doing the
//   pull": PR 21494); the token service takes Basic credentials (`curl --user`), and a
//   private repository's scope is not granted to anyone but its owner.
// - ghcr.io (cloudflare/serverless-registry#148, oras-java#178, ocipkg#41): challenge
//   `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"`
//   (a placeholder scope even on /v2/), anonymous GET /token?scope=&service= answers
//   {token}; blobs 307 to pkg-containers.githubusercontent.com; OCI indexes carry
//   attestation manifests (vnd.docker.reference.type).
// - quay.io (quay/claircore#879, quay/mirror-registry#71): realm https://quay.io/v2/auth,
//   service quay.io, answers {token}; blobs 302 to a signed object-store URL.
// - ECR Public (appgate/sdpctl#404): realm https://public.ecr.aws/token/,
//   service public.ecr.aws; blobs 307 to S3, which refuses a second auth mechanism
//   ("Only one auth mechanism allowed", penpot#10776, spring-cloud-dataflow#4066).
// - gcr.io (containerd#1318): realm https://gcr.io/v2/token, service gcr.io, answers
//   {expires_in, issued_at, token}; blobs 302 to storage.googleapis.com signed URLs.
// - mcr.microsoft.com (microsoft/containerregistry client-firewall-rules, PR 13): no auth,
//   /v2/ answers 200; blobs 307 to *.data.mcr.microsoft.com (Azure/acr#217: the data
//   endpoint refuses a forwarded Authorization).
// - registry.k8s.io (kubernetes/registry.k8s.io cmd/archeio README): no auth; blob
//   requests are redirected to a regional Artifact Registry, which redirects again to
//   the storage bucket: 307 then 302.

export type TokenShape = "hub" | "token-only" | "gcr";

export interface MemberSpec {
  /** The zoo's name for it, and the folder of its repositories in the backing registry. */
  id: string;
  /** Its UPSTREAMS key in the mirror under test. */
  key: string;
  /** Loopback address of the registry front; its other hosts take the next ones. */
  address: string;
  /** Token auth: the realm's path, whether it lives on a host of its own, its answer's shape. */
  auth?: { path: string; separateHost: boolean; service: string; shape: TokenShape; scopeOnPing?: boolean; extraChallenge?: boolean };
  /** Blob GETs: served here, or redirected through these hops to signed storage. */
  blobs: { hops: (307 | 302)[]; refuseAuthorization: 400 | 403 } | "direct";
  /** Misbehaviour seen in the wild. */
  quirks: {
    /** Blob bodies sent chunked, without Content-Length. */
    chunked?: boolean;
    /** Manifests with `; charset=utf-8` after the media type. */
    contentTypeParameters?: boolean;
    /** No Docker-Content-Digest on manifests. */
    noDigestHeader?: boolean;
    /** Hub's rate limit headers and counting. */
    hubRateLimit?: boolean;
  };
  /** The multi-platform OCI index with attestations rather than a single image. */
  index?: boolean;
}

export const MEMBERS: MemberSpec[] = [
  {
    id: "hub", key: "docker.io", address: "127.0.0.2",
    auth: { path: "/token", separateHost: true, service: "registry.docker.io", shape: "hub" },
    blobs: { hops: [307], refuseAuthorization: 403 }, quirks: { hubRateLimit: true },
  },
  {
    id: "ghcr", key: "ghcr.io", address: "127.0.0.5",
    auth: { path: "/token", separateHost: false, service: "ghcr.io", shape: "token-only", scopeOnPing: true },
    blobs: { hops: [307], refuseAuthorization: 403 }, quirks: {}, index: true,
  },
  {
    // Several challenges in one header (Basic first), and no Docker-Content-Digest.
    id: "quay", key: "quay.io", address: "127.0.0.7",
    auth: { path: "/v2/auth", separateHost: false, service: "quay.io", shape: "token-only", extraChallenge: true },
    blobs: { hops: [302], refuseAuthorization: 403 }, quirks: { noDigestHeader: true },
  },
  {
    id: "ecr", key: "public.ecr.aws", address: "127.0.0.9",
    auth: { path: "/token/", separateHost: false, service: "public.ecr.aws", shape: "token-only" },
    blobs: { hops: [307], refuseAuthorization: 400 }, quirks: {},
  },
  {
    id: "gcr", key: "gcr.io", address: "127.0.0.11",
    auth: { path: "/v2/token", separateHost: false, service: "gcr.io", shape: "gcr" },
    blobs: { hops: [302], refuseAuthorization: 403 }, quirks: { contentTypeParameters: true },
  },
  {
    id: "mcr", key: "mcr.microsoft.com", address: "127.0.0.13",
    blobs: { hops: [307], refuseAuthorization: 403 }, quirks: { chunked: true },
  },
  {
    id: "k8s", key: "registry.k8s.io", address: "127.0.0.15",
    blobs: { hops: [307, 302], refuseAuthorization: 403 }, quirks: {},
  },
];

/** The repository every member serves (Hub's under library/, as its official images are). */
export function repositoryOf(member: MemberSpec): string {
  return member.id === "hub" ? "library/zoo" : "zoo/app";
}

export const ZOO_TAG = "v1";
