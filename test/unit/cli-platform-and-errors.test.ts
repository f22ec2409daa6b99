// The CLI's platform when --platform is absent (this machine's, in OCI names; what
// --platform says is shared/platform.ts's, tested by platform.test.ts's table), and
// file-system errors explained by what the user can do.
import { describe, expect, it } from "vitest";
import { explainFileError } from "../../cli/file-errors.ts";
import { hostPlatform } from "../../cli/platform-arg.ts";

describe("hostPlatform", () => {
  it.each([
    ["x64", undefined, "linux/amd64"],
    ["arm64", undefined, "linux/arm64"],
    ["arm", "6", "linux/arm/v6"],
    ["arm", undefined, "linux/arm/v7"],
    ["ia32", undefined, "linux/386"],
    ["s390x", undefined, "linux/s390x"],
    ["riscv64", undefined, "linux/riscv64"],
  ])("Node's %s (arm_version %s) is %s", (arch, armVersion, expected) => {
    const p = hostPlatform(arch, armVersion);
    expect([p.os, p.architecture, p.variant].filter(Boolean).join("/")).toBe(expected);
  });
});

describe("explainFileError", () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: something, open 'x'`), { code, syscall: "open", path: "x" });
  it.each([
    ["ENOSPC", "out/image.tar", /the disk holding out\/image\.tar is full/, /free some space/],
    ["EROFS", "out/image.tar", /out\/image\.tar is on a read-only file system/, /-o/],
    ["EDQUOT", "out/image.tar", /disk quota/, /free some space/],
    ["EFBIG", "out/image.tar", /larger than this file system allows/, /FAT32/],
    ["EPIPE", "-", /stopped before the end/, /docker load/],
  ])("%s", (code, path, message, hint) => {
    const explained = explainFileError(errno(code), path);
    expect(explained?.message).toMatch(message);
    expect(explained?.hint).toMatch(hint);
    expect(explained?.code).toBe("WRITE_FAILED");
  });
  it("leaves errors it does not know alone", () => {
    expect(explainFileError(errno("EWHATEVER"), "x")).toBeUndefined();
    expect(explainFileError(new Error("plain"), "x")).toBeUndefined();
  });
});
