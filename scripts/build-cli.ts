// `npm run build:cli`: compiles the CLI (cli/ and the shared/ code it uses, with undici)
// into plain-JavaScript ES modules: cli/dist/dockerdl.mjs, the entry (`--version` and
// nothing else), and dockerdl-main.mjs beside it, everything else; with the package.json
// that makes cli/dist/ an installable package: `npm pack cli/dist` gives the tarball
// that `npm install -g` and `npx` take, with no dependency and no TypeScript at run time.
// `npm run build:cli -- --pack` also writes that tarball into the current directory.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
export const CLI_DIST = join(root, "cli", "dist");

/** The CLI past `--version`, beside the entry dockerdl.mjs, which imports it. */
export const CLI_MAIN = "dockerdl-main.mjs";

/** The oldest Node the bundle runs on: undici 7's own floor (node:* APIs used are older). */
export const CLI_NODE_ENGINE = ">=20.18.1";

export async function buildCli(outDir = CLI_DIST): Promise<string> {
  const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; license: string; description: string };
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const common = {
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20.18",
    minify: true,
    legalComments: "eof",
    logLevel: "warning",
    define: {
      __DOCKERDL_VERSION__: JSON.stringify(rootPackage.version),
      // main.ts runs itself when it is the entry module; in the build, dockerdl.mjs is.
      "import.meta.main": "false",
    },
  } as const;
  // The entry alone: `--version` answers after parsing a few hundred bytes, not the whole
  // CLI (about 0.8 MB, some 50 ms of a start that is otherwise Node's own).
  await build({
    ...common,
    entryPoints: [join(root, "cli", "entry.ts")],
    outfile: join(outDir, "dockerdl.mjs"),
    banner: { js: "#!/usr/bin/env node" },
    plugins: [{
      name: "run-apart",
      setup(b) {
        b.onResolve({ filter: /^\.\/main\.ts$/ }, () => ({ path: `./${CLI_MAIN}`, external: true }));
      },
    }],
  });
  await build({
    ...common,
    entryPoints: [join(root, "cli", "main.ts")],
    outfile: join(outDir, CLI_MAIN),
    // undici is CommonJS: its require() calls of node: modules need a real require.
    banner: { js: 'import { createRequire as __dockerdlRequire } from "node:module";\nconst require = __dockerdlRequire(import.meta.url);' },
  });
  const manifest = {
    name: "dockerdl",
    version: rootPackage.version,
    description: "Download a container image as a file that docker load and podman load accept, without Docker",
    license: rootPackage.license,
    type: "module",
    bin: { dockerdl: "dockerdl.mjs" },
    files: ["dockerdl.mjs", CLI_MAIN],
    engines: { node: CLI_NODE_ENGINE },
  };
  writeFileSync(join(outDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(outDir, "README.md"), [
    "# dockerdl",
    "",
    "Download a container image as a file that `docker load` and `podman load` accept, without Docker.",
    "",
    "    dockerdl pull ubuntu:22.04",
    "    dockerdl --help",
    "",
    `Two JavaScript files (\`dockerdl.mjs\` and \`${CLI_MAIN}\`, which it loads), no dependencies; needs Node.js ${CLI_NODE_ENGINE.slice(2)} or newer.`,
    "",
  ].join("\n"));
  return outDir;
}

/** `npm pack` of the built package into `destination`; returns the tarball's path. */
export function packCli(outDir: string, destination: string): string {
  const npm = spawnSync("npm", ["pack", outDir, "--pack-destination", destination, "--json", "--silent"], { encoding: "utf8" });
  if (npm.status !== 0) throw new Error(`npm pack failed: ${npm.stderr}`);
  const [{ filename }] = JSON.parse(npm.stdout) as { filename: string }[];
  return join(destination, filename);
}

if (import.meta.main) {
  const outDir = await buildCli();
  console.log(`built ${join(outDir, "dockerdl.mjs")}`);
  if (process.argv.includes("--pack")) console.log(`packed ${packCli(outDir, process.cwd())}`);
}
