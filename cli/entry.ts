// The compiled CLI's entry (scripts/build-cli.ts bundles from here): `--version` and
// `-V` answer before the rest of the CLI (the registry client, undici) is even parsed,
// so they stay fast; everything else goes to main.ts, a file of its own in the build.
import { cliVersion } from "./version.ts";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`dockerdl ${cliVersion()}\n`);
} else {
  const { run } = await import("./main.ts");
  process.exitCode = await run(argv);
}
