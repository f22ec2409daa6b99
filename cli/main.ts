// The `dockerdl` command (bin/dockerdl.mjs runs this on Node 22): parses argv, runs the
// command, and turns any failure into "error: what was wrong" + "hint: what to do"
// with a non-zero exit status (2 for usage errors, 130 when interrupted).

import { DockerdlError } from "../shared/errors.ts";
import { parseCommand } from "./args.ts";
import { explainFileError, isSystemError } from "./file-errors.ts";
import { helpText } from "./help.ts";
import { inspect } from "./inspect.ts";
import { pull } from "./pull.ts";
import { keepYoungGenerationSmall } from "./small-heap.ts";
import { cliVersion } from "./version.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const command = parseCommand(argv, process.env);
    if (command.command === "help") {
      process.stdout.write(helpText(command.topic));
      return 0;
    }
    if (command.command === "version") {
      process.stdout.write(`dockerdl ${cliVersion()}\n`);
      return 0;
    }
    const io = { stdout: process.stdout, stderr: process.stderr, readPassword: readStdin, signal: controller.signal };
    if (command.command === "pull") await pull(command, io);
    else await inspect(command, io);
    return 0;
  } catch (error) {
    process.stderr.write(formatError(error));
    if (error instanceof DockerdlError && error.code === "USAGE") return 2;
    if (controller.signal.aborted) return 130;
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function formatError(error: unknown): string {
  if (error instanceof DockerdlError) {
    return `dockerdl: error: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ""}`;
  }
  // A file error that reached here unexplained is still the user's to fix, not a bug.
  const explained = isSystemError(error) ? explainFileError(error, error.path ?? "the output") : undefined;
  if (explained !== undefined) return formatError(explained);
  if (isSystemError(error)) return `dockerdl: error: ${error.message}\n  hint: check the file or folder named above, then run the same command again\n`;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `dockerdl: unexpected error: ${detail}\n  hint: this is a bug in dockerdl; please report it with the command you ran\n`;
}

/** A whole run of the command: the heap kept small, then `main` (entry.ts and a clone's bin both come here). */
export function run(argv: string[]): Promise<number> {
  keepYoungGenerationSmall();
  return main(argv);
}

if (import.meta.main) process.exitCode = await run(process.argv.slice(2));
