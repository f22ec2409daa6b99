// Hub's tag objects become the API's tags: platforms with sizes and digests, with
// attestation entries (unknown/unknown) left out and Hub's null variants dropped.
import { describe, expect, it } from "vitest";
import type { HubTag } from "../../proxy/api/hub-types.ts";
import { tagFromHub } from "../../proxy/api/tags.ts";

const hubTag: HubTag = {
  name: "latest",
  full_size: 75271303,
  digest: "sha256:" + "a".repeat(64),
  last_updated: "2026-06-24T04:51:06.973034832Z",
  images: [
    { architecture: "amd64", variant: null, digest: "sha256:" + "1".repeat(64), os: "linux", size: 75271303, status: "active", last_pushed: "2026-06-24T04:51:06Z" },
    { architecture: "arm64", variant: "v8", digest: "sha256:" + "2".repeat(64), os: "linux", size: 67000000, status: "active", last_pushed: "2026-06-24T04:51:07Z" },
    { architecture: "unknown", variant: null, digest: "sha256:" + "3".repeat(64), os: "unknown", size: 4265361, status: "active", last_pushed: null },
  ],
};

describe("tagFromHub", () => {
  it("keeps runnable platforms with their size and digest", () => {
    expect(tagFromHub(hubTag)).toEqual({
      name: "latest",
      digest: hubTag.digest,
      lastUpdated: hubTag.last_updated,
      platforms: [
        { platform: "linux/amd64", os: "linux", architecture: "amd64", digest: "sha256:" + "1".repeat(64), size: 75271303, lastPushed: "2026-06-24T04:51:06Z" },
        { platform: "linux/arm64/v8", os: "linux", architecture: "arm64", variant: "v8", digest: "sha256:" + "2".repeat(64), size: 67000000, lastPushed: "2026-06-24T04:51:07Z" },
      ],
    });
  });

  it("copes with old tags that have no digests or images", () => {
    expect(tagFromHub({ name: "old", last_updated: null, images: [{ architecture: "amd64", os: "linux", variant: null, size: 5 }] })).toEqual({
      name: "old",
      digest: null,
      lastUpdated: null,
      platforms: [{ platform: "linux/amd64", os: "linux", architecture: "amd64", digest: null, size: 5, lastPushed: null }],
    });
    expect(tagFromHub({ name: "empty", last_updated: null, images: [] }).platforms).toEqual([]);
  });
});
