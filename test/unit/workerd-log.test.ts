// `npm start` offline (scripts/workerd-log.ts): workerd's internal-error block for each
// failed Docker Hub lookup (as wrangler dev printed it, colours and all) becomes one line
// with its reference; every other line, a Worker's own [ERROR] included, passes unchanged.
import { describe, expect, it } from "vitest";
import { WorkerdLogFilter } from "../../scripts/workerd-log.ts";

const E = "\x1b";
const offlineBlock = (ref: string) => [
  "",
  `${E}[31m✘ ${E}[41;31m[${E}[41;97mERROR${E}[41;31m]${E}[0m ${E}[1me = rust/worker/ffi.rs:104: failed: failed to lookup address information: Name or service not known${E}[0m`,
  "",
  `  stack: /x/node_modules/@cloudflare/workerd-linux-64/bin/workerd@3d4d979 /x/bin/workerd@2b5edc0 /x/bin/workerd@3fe4230; sentryErrorContext = jsgInternalError; wdErrId = ${ref}`,
  "",
  "",
];

function run(lines: string[]): string[] {
  const filter = new WorkerdLogFilter();
  return [...lines.flatMap((line) => filter.push(line)), ...filter.end()];
}

describe("workerd's internal errors, one line each", () => {
  it("condenses each offline lookup failure to one line naming its reference, no stack", () => {
    const out = run(["ready", ...offlineBlock("rkvke24dl8"), ...offlineBlock("l952iikivk"), "next"]);
    expect(out).toEqual([
      "ready",
      "workerd: failed to lookup address information: Name or service not known (reference rkvke24dl8)",
      "workerd: failed to lookup address information: Name or service not known (reference l952iikivk)",
      "next",
    ]);
    expect(out.join("\n")).not.toMatch(/stack:|workerd@/);
  });

  it("passes other lines, blank ones and an [ERROR] without a workerd stack through unchanged", () => {
    const lines = ["a", "", "✘ [ERROR] the Worker's own error", "  at handler (proxy/index.ts:10:5)", "", "b"];
    expect(run(lines)).toEqual(lines);
    expect(run(["✘ [ERROR] last words", ""])).toEqual(["✘ [ERROR] last words", ""]);
  });
});
