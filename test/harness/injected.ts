// What the integration and e2e suites read from the running harness that
// global-setup.ts provides (vitest's inject("harness")): its addresses and users, and
// the fixture images by name. Not for unit tests, which run without a harness.
import { inject } from "vitest";
import type { FixtureImage } from "./fixtures.ts";

export const harness = inject("harness");

/** The harness Worker's address (global-setup.ts always starts one). */
export const worker = harness.worker!;

/** A fixture image of the token-auth registry, by repository name. */
export function fixtureImage(repository: string): FixtureImage {
  const image = harness.fixtures.find((f) => f.repository === repository);
  if (!image) throw new Error(`the harness has no fixture image ${repository}`);
  return image;
}
