// `npm run harness`: starts the registries, fixtures and the Worker, prints where they
// listen, and keeps them running until Ctrl-C. Handy for trying the CLI or the PWA by hand.
import { startHarness } from "./harness.ts";

const withWorker = !process.argv.includes("--no-worker");
const harness = await startHarness({ worker: withWorker });
const { info } = harness;
console.log(`token server   ${info.tokenServer}/token`);
console.log(`registry       ${info.registry}   (token auth; private/* needs ${info.user.username} / ${info.user.password})`);
console.log(`basic registry ${info.basicRegistry}   (htpasswd: ${info.basicUser.username} / ${info.basicUser.password})`);
if (info.worker) console.log(`worker         ${info.worker}`);
console.log(`fake Hub API   ${info.hubApi}`);
console.log(`UPSTREAMS='${JSON.stringify(info.upstreams)}'`);
for (const f of [...info.fixtures]) console.log(`  ${f.repository}:${f.tag}  ${f.digest}${f.private ? "  (private)" : ""}`);
console.log("Ctrl-C stops everything.");
const stop = async () => {
  await harness.stop();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
await new Promise(() => {});
