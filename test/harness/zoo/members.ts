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
//
// The bad-day members (BAD_DAY_MEMBERS, issue 25): registries and CDNs that misbehave
// legally. They are not in MEMBERS, so the suites that go through every member do not
// pay for their big, slow layers; a test asks for them by id (startZoo({members})).
// - cut: the first GET of each blob is cut after 2 MiB. Hub's CDN and self-hosted
//   registries do it ("unexpected EOF" part way through a layer: moby/moby#35686,
//   docker/for-mac#4870, podman#5583; containers/image resumes with a Range since 5.24,
//   buildah#4574, and logs "Reading blob body ... failed (unexpected EOF), reconnecting",
//   podman#18142).
// - short-token: Hub's token answer with `expires_in` of 2 s instead of 300, refused once
//   expired with 401 and `error="invalid_token"` in the challenge (what distribution's
//   token auth and dhi.io send: cesanta/docker_auth#249, docker/hub-feedback#2530; tokens
//   expiring mid-pull: moby/moby#20308, NVIDIA/enroot#278, moby/moby#33558). Blobs served
//   by the registry itself, 4 MB/s a connection, so a pull outlives several tokens.
// - signed-302: 302 (not 307) to signed storage URLs good for 2 s, on a storage host that
//   refuses Authorization with 403 (quay's and gcr's 302s above; S3/R2 answer an expired
//   presigned URL with 403 AccessDenied "Request has expired": aws/aws-sdk-js#2306,
//   cloudflare/cloudflare-docs#32436; signed URLs expiring before the blob is read:
//   tonistiigi/go-actions-cache#40, distribution/distribution#4175). 2 MB/s a connection,
//   and each blob's first GET cut after 6 MiB, i.e. after its URL expired: a client that
//   retries the URL it was given gets 403, one that asks the registry again goes on.
// - throttled: a slow CDN (docker/hub-feedback#1675, #1702, #2172), 3 MB/s a connection,
//   behind 302s to URLs good for 3 s and tokens good for 3 s, so both expire mid-download.
// - no-range: a registry that ignores Range: every GET answers 200 with the whole blob and
//   no Accept-Ranges (RFC 9110 lets a server ignore Range; distribution's proxy cache
//   does it before the blob is cached, distribution/distribution#4667, as do Harbor's
//   proxy cache, goharbor/harbor#23875, artifact-keeper#3586 and nora#654). It counts its
//   open sockets (ZooState.sockets) for the --connections ceiling.

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
    /** Each blob's first GET is cut (its connection destroyed) after this many body bytes. */
    cutFirstGetAfter?: number;
    /** Blob body bytes per second on each connection of the host that sends them. */
    throttle?: number;
    /** Range ignored on blob GETs: 200 and the whole blob, no Accept-Ranges. */
    ignoreRange?: boolean;
    /** Seconds a token says it lives and does live (expires_in), rather than the zoo's default. */
    tokenSeconds?: number;
    /** Milliseconds a signed blob URL is good for, rather than the zoo's default. */
    urlMs?: number;
  };
  /** Bytes of the noise layer of its image (default 768 KiB). */
  layerBytes?: number;
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

const MiB = 1 << 20;

/** Upstreams that misbehave legally (issue 25); started only when a test names them. */
export const BAD_DAY_MEMBERS: MemberSpec[] = [
  {
    id: "cut", key: "cut.zoo.example", address: "127.0.0.21",
    auth: { path: "/token", separateHost: false, service: "cut.zoo.example", shape: "hub" },
    blobs: { hops: [307], refuseAuthorization: 403 }, quirks: { cutFirstGetAfter: 2 * MiB }, layerBytes: 16 * MiB,
  },
  {
    id: "short-token", key: "short-token.zoo.example", address: "127.0.0.23",
    auth: { path: "/token", separateHost: false, service: "short-token.zoo.example", shape: "hub" },
    blobs: "direct", quirks: { tokenSeconds: 2, throttle: 4_000_000 }, layerBytes: 16 * MiB,
  },
  {
    id: "signed-302", key: "signed-302.zoo.example", address: "127.0.0.25",
    auth: { path: "/v2/token", separateHost: false, service: "signed-302.zoo.example", shape: "gcr" },
    blobs: { hops: [302], refuseAuthorization: 403 }, quirks: { urlMs: 2000, throttle: 2_000_000, cutFirstGetAfter: 6 * MiB }, layerBytes: 12 * MiB,
  },
  {
    id: "throttled", key: "throttled.zoo.example", address: "127.0.0.27",
    auth: { path: "/token", separateHost: false, service: "throttled.zoo.example", shape: "hub" },
    blobs: { hops: [302], refuseAuthorization: 403 }, quirks: { tokenSeconds: 3, urlMs: 3000, throttle: 3_000_000 }, layerBytes: 24 * MiB,
  },
  {
    id: "no-range", key: "no-range.zoo.example", address: "127.0.0.29",
    auth: { path: "/token", separateHost: false, service: "no-range.zoo.example", shape: "token-only" },
    blobs: "direct", quirks: { ignoreRange: true }, layerBytes: 24 * MiB,
  },
];

/** The repository every member serves (Hub's under library/, as its official images are). */
export function repositoryOf(member: MemberSpec): string {
  return member.id === "hub" ? "library/zoo" : "zoo/app";
}

export const ZOO_TAG = "v1";
