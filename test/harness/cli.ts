// `npm run harness`: starts the registries, fixtures and the Worker, prints where they
// listen, and keeps them running until Ctrl-C. Handy for trying the CLI or the PWA by hand.
// `npm run harness -- --zoo` starts the registry zoo (test/harness/zoo/) and its Worker instead;
// with `--bad-day` its bad-day members too (cut, short-token, signed-302, throttled, no-range).
import { startHarness } from "./harness.ts";
import { BAD_DAY_MEMBERS, MEMBERS, repositoryOf, startZoo, ZOO_TAG } from "./zoo/index.ts";

/** Keeps everything running until Ctrl-C (or SIGTERM), then stops it. */
async function runUntilStopped(stopAll: () => Promise<void>): Promise<never> {
  console.log("Ctrl-C stops everything.");
  const stop = async () => {
    await stopAll();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  return new Promise<never>(() => {});
}

const withWorker = !process.argv.includes("--no-worker");
if (process.argv.includes("--zoo")) {
  const members = process.argv.includes("--bad-day") ? [...MEMBERS, ...BAD_DAY_MEMBERS] : MEMBERS;
  const zoo = await startZoo({ worker: withWorker, members: members.map((m) => m.id) });
  for (const m of members) console.log(`${m.key.padEnd(24)} ${zoo.members[m.id].url}/v2/${repositoryOf(m)}  (tag ${ZOO_TAG})`);
  if (zoo.worker) console.log(`worker             ${zoo.worker.url}`);
  console.log(`UPSTREAMS='${JSON.stringify(zoo.upstreams)}'`);
  await runUntilStopped(() => zoo.stop());
}
const harness = await startHarness({ worker: withWorker });
const { info } = harness;
console.log(`token server   ${info.tokenServer}/token`);
console.log(`registry       ${info.registry}   (token auth; private/* needs ${info.user.username} / ${info.user.password})`);
console.log(`basic registry ${info.basicRegistry}   (htpasswd: ${info.basicUser.username} / ${info.basicUser.password})`);
if (info.worker) console.log(`worker         ${info.worker}`);
console.log(`fake Hub API   ${info.hubApi}`);
console.log(`UPSTREAMS='${JSON.stringify(info.upstreams)}'`);
for (const f of [...info.fixtures]) console.log(`  ${f.repository}:${f.tag}  ${f.digest}${f.private ? "  (private)" : ""}`);
await runUntilStopped(() => harness.stop());
