// The mirror's Range parsing for answers from R2: single ranges as registry clients send
// them, suffix ranges, clamping, and what is unsatisfiable.
import { describe, expect, it } from "vitest";
import { contentRange, parseRange } from "../../proxy/v2/range.ts";

describe("parseRange", () => {
  const size = 1000;
  it.each([
    [null, null],
    ["bytes=0-99", { offset: 0, length: 100 }],
    ["bytes=500-", { offset: 500, length: 500 }],
    ["bytes=990-5000", { offset: 990, length: 10 }],
    ["bytes=-100", { offset: 900, length: 100 }],
    ["bytes=-5000", { offset: 0, length: 1000 }],
    ["bytes=999-999", { offset: 999, length: 1 }],
    ["bytes=1000-", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    ["bytes=0-9,20-29", null],
    ["items=0-9", null],
    ["bytes=50-10", null],
  ] as const)("%s", (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it("formats Content-Range with the inclusive last byte and the total", () => {
    expect(contentRange({ offset: 10, length: 90 }, 1000)).toBe("bytes 10-99/1000");
  });
});
