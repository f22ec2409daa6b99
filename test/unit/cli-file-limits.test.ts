// The CLI reads the -f files (an image list or a compose file) and the .env beside a
// compose file whole; each read stops at the 1 MiB cap whatever stat says, so a
// device (/dev/zero) or a FIFO, whose size stat reports as 0, is refused, not read on.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gatherImages } from "../../cli/image-list.ts";

const work = mkdtempSync(join(tmpdir(), "dockerdl-file-limits-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const ignore = () => {};

/**
 * A FIFO at `path` (stat: size 0) that another process fills with `text` once a reader
 * opens it: another process, so that a read blocking this one cannot stall the writer.
 */
function fifoWith(path: string, text: string): void {
  const source = `${path}.source`;
  writeFileSync(source, text);
  execFileSync("mkfifo", [path]);
  // A reader that stops early ends cat with SIGPIPE.
  spawn("sh", ["-c", 'cat "$0" > "$1"', source, path], { stdio: "ignore" }).unref();
}

const padding = "# padding\n".repeat(220_000); // 2.2 MB

describe("-f and .env reads are capped at 1 MiB", () => {
  it("an image list that stat calls empty but that goes on past 1 MiB (a FIFO) is refused", async () => {
    const list = join(work, "list-fifo");
    fifoWith(list, `${padding}nginx:1\n`);
    await expect(gatherImages([], [list], ignore)).rejects.toThrow(`-f ${list} is over the 1 MiB limit; an image list or compose file is expected`);
  });

  it("-f /dev/zero is refused, not read for ever", async () => {
    await expect(gatherImages([], ["/dev/zero"], ignore)).rejects.toThrow("-f /dev/zero is over the 1 MiB limit");
  }, 10_000);

  it("a .env beside a compose file past 1 MiB (a FIFO) is refused, naming it", async () => {
    const dir = mkdtempSync(join(work, "env-fifo-"));
    writeFileSync(join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx:${TAG}\n");
    fifoWith(join(dir, ".env"), `${padding}TAG=1\n`);
    await expect(gatherImages([], [join(dir, "compose.yaml")], ignore)).rejects.toThrow(`${join(dir, ".env")} is over the 1 MiB limit`);
  });

  it("a .env that is /dev/zero is refused, not read for ever", async () => {
    const dir = mkdtempSync(join(work, "env-zero-"));
    writeFileSync(join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx:${TAG}\n");
    symlinkSync("/dev/zero", join(dir, ".env"));
    await expect(gatherImages([], [join(dir, "compose.yaml")], ignore)).rejects.toThrow(`${join(dir, ".env")} is over the 1 MiB limit`);
  }, 10_000);

  it("a small .env still gives its values; a missing one none", async () => {
    const dir = mkdtempSync(join(work, "env-ok-"));
    writeFileSync(join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx:${TAG:-latest}\n");
    expect((await gatherImages([], [join(dir, "compose.yaml")], ignore)).map((r) => r.reference)).toEqual(["nginx:latest"]);
    writeFileSync(join(dir, ".env"), "# pinned\nTAG=1.27\n");
    expect((await gatherImages([], [join(dir, "compose.yaml")], ignore)).map((r) => r.reference)).toEqual(["nginx:1.27"]);
  });
});
