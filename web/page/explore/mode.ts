// How `ls -l` shows a file's type and permission bits: -rwxr-xr-x, drwx------,
// lrwxrwxrwx, with setuid/setgid (s, S) and sticky (t, T).
import type { FsNodeType } from "../../../shared/rootfs.ts";

const TYPE_CHAR: Record<FsNodeType, string> = { file: "-", hardlink: "-", directory: "d", symlink: "l", other: "?" };

export function formatMode(type: FsNodeType, mode: number): string {
  const bits = [..."rwxrwxrwx"].map((c, i) => (mode & (1 << (8 - i)) ? c : "-"));
  const special = (index: number, flag: number, set: string) => {
    if (mode & flag) bits[index] = bits[index] === "x" ? set : set.toUpperCase();
  };
  special(2, 0o4000, "s");
  special(5, 0o2000, "s");
  special(8, 0o1000, "t");
  return TYPE_CHAR[type] + bits.join("");
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
