// The vitest fixture a test file takes its zoo from (one per file, with the Worker in
// front of it), and the names a client uses for a member's image directly and through
// the mirror.
import { test as base } from "../fixtures-vitest.ts";
import { BAD_DAY_MEMBERS, MEMBERS, repositoryOf, startZoo, ZOO_TAG, type MemberSpec, type Zoo } from "./index.ts";

/** A file-scoped fixture of a zoo started with `options` (e2e extends its browser test with one). */
function zooFixtureOf(options: Parameters<typeof startZoo>[0]) {
  return async ({}, use: (zoo: Zoo) => Promise<void>): Promise<void> => {
    const zoo = await startZoo(options);
    await use(zoo);
    await zoo.stop();
  };
}

/** The zoo and its Worker. */
export const zooFixture = zooFixtureOf({ worker: true });

/** The bad-day members behind a Worker on the Paid plan (which resumes every blob a cut breaks). */
export const badDayZooFixture = zooFixtureOf({ worker: true, members: BAD_DAY_MEMBERS.map((m) => m.id), vars: { PLAN: "paid" } });

export const zooTest = base.extend<{ $file: { zoo: Zoo } }>({ zoo: [zooFixture, { scope: "file" }] });

/** The image as a user names it for the mirror: `zoo:v1` for Hub, `ghcr.io/zoo/app:v1`… */
export function mirrorName(member: MemberSpec): string {
  return member.key === "docker.io" ? `zoo:${ZOO_TAG}` : `${member.key}/${repositoryOf(member)}:${ZOO_TAG}`;
}

/** The full name a client sends the mirror in its path (`<mirror>/<this>`). */
export function mirrorPath(member: MemberSpec): string {
  return member.key === "docker.io" ? `${repositoryOf(member)}:${ZOO_TAG}` : `${member.key}/${repositoryOf(member)}:${ZOO_TAG}`;
}

/** The image by the member's own loopback address, for a direct pull. */
export function directName(zoo: Zoo, member: MemberSpec): string {
  return `${new URL(zoo.members[member.id].url).host}/${repositoryOf(member)}:${ZOO_TAG}`;
}

export { MEMBERS };
