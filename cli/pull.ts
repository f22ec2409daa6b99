// `dockerdl pull`: resolve the image, plan the tar, fill FILE.part with the engine
// (resuming a previous attempt when its state matches), and rename it to FILE only when
// every layer is verified. On failure the part file and its state stay for the next
// run; nothing is ever left under the final name unless it is complete.

import { rename } from "node:fs/promises";
import { DockerdlError } from "../shared/errors.ts";
import { downloadArchive, formatBytes, registryBlobSource, type EngineState } from "../shared/engine/index.ts";
import { archiveImageOf, planImageArchive } from "../shared/image-archive.ts";
import { formatPlatform, parsePlatform, type Platform } from "../shared/platform.ts";
import { defaultFileName, familiarName, parseReference } from "../shared/reference.ts";
import { RegistryClient, type Credentials } from "../shared/registry/client.ts";
import type { PullCommand } from "./args.ts";
import { fileSink, nodeHasher, openPartFile, partFileMatches, partPath, readResumeFile, removeResumeFile, statePath, writeResumeFile } from "./file-sink.ts";
import { ProgressLine } from "./progress-line.ts";

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };
const CLI_CONNECTIONS = 8;

export interface PullIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  readPassword(): Promise<string>;
  signal: AbortSignal;
}

export async function pull(cmd: PullCommand, io: PullIO): Promise<void> {
  const ref = parseReference(cmd.reference);
  const platform = cmd.platform === undefined ? undefined : parsePlatform(cmd.platform);
  let credentials: Credentials | undefined;
  if (cmd.username !== undefined) {
    const password = (await io.readPassword()).replace(/\r?\n$/, "");
    if (password === "") {
      throw new DockerdlError("USAGE", "--password-stdin read an empty password", { hint: 'pipe the password in, e.g. echo "$PASSWORD" | dockerdl pull … --password-stdin' });
    }
    credentials = { username: cmd.username, password };
  }
  const client = new RegistryClient({
    fetch: (url, init) => fetch(url, init),
    ...(cmd.proxy === undefined ? {} : { proxy: cmd.proxy }),
    ...(credentials === undefined ? {} : { credentials }),
    insecure: cmd.insecure,
  });
  const line = new ProgressLine(io.stderr, !cmd.quiet);
  const image = await client.resolveImage(ref, platform, { defaultPlatform: DEFAULT_PLATFORM, signal: io.signal });
  const output = cmd.output ?? defaultFileName(ref, image.platform);
  const plan = planImageArchive([archiveImageOf(image)]);
  line.note(`${familiarName(ref)} (${formatPlatform(image.platform)}, ${image.layers.length} layer${image.layers.length === 1 ? "" : "s"}, ${formatBytes(plan.totalSize)}) → ${output}`);

  const previous = await readResumeFile(output);
  const resumable = previous !== undefined && previous.manifestDigest === image.manifest.digest && previous.totalSize === plan.totalSize
    && (await partFileMatches(output, plan.totalSize));
  if (previous !== undefined && !resumable) line.note(`${statePath(output)} is for another download; starting over`);
  const handle = await openPartFile(output, plan.totalSize, resumable).catch((error: unknown) => {
    throw new DockerdlError("WRITE_FAILED", `cannot write ${partPath(output)}: ${(error as Error).message.replace(/^[A-Z]+: /, "")}`, {
      hint: "check that the output directory exists, is writable and has room (choose another place with -o)",
    });
  });
  const resumeFile = (engine: EngineState) => ({
    tool: "dockerdl" as const, version: 1 as const, reference: cmd.reference, manifestDigest: image.manifest.digest, totalSize: plan.totalSize, engine,
  });
  let result;
  try {
    result = await downloadArchive({
      plan,
      source: registryBlobSource(client, image),
      sink: fileSink(handle),
      createHasher: nodeHasher,
      connections: cmd.connections ?? CLI_CONNECTIONS,
      earlyRequests: cmd.connections ?? CLI_CONNECTIONS,
      ...(cmd.chunkSize === undefined ? {} : { chunkSize: cmd.chunkSize }),
      ...(resumable ? { resume: previous.engine } : {}),
      onCheckpoint: async (state) => {
        // The state vouches for written bytes: get them to the disk first.
        await handle.datasync();
        await writeResumeFile(output, resumeFile(state));
      },
      checkpointIntervalMs: 2000,
      onProgress: (p) => line.update(p),
      signal: io.signal,
    });
    await handle.sync();
  } catch (error) {
    line.finish();
    await handle.close().catch(() => {});
    throw withResumeHint(error, output);
  }
  line.finish();
  await handle.close();
  await rename(partPath(output), output);
  await removeResumeFile(output);
  const resumed = result.resumedBytes > 0 ? `, ${formatBytes(result.resumedBytes)} resumed` : "";
  if (!cmd.quiet) io.stdout.write(`${output}  ${formatBytes(plan.totalSize)}  ${image.manifest.digest}${resumed}\n  load it with: docker load -i ${output}\n`);
}

function withResumeHint(error: unknown, output: string): unknown {
  if (!(error instanceof DockerdlError)) return error;
  const hint = `${error.hint ? `${error.hint}; ` : ""}the partial download is kept in ${partPath(output)}: run the same command again to resume`;
  return new DockerdlError(error.code, error.message, { hint, cause: error });
}
