// A client's fill budget (proxy/cache/fill-budget.ts): each fill charged its blob's size,
// refused past the budget (the hour's first fill always allowed), given back when the
// fill did not start, and a new hour for each client an hour after its first charge.
import { expect, it } from "vitest";
import { chargeFill, refundFill } from "../../proxy/cache/fill-budget.ts";

const HOUR = 60 * 60 * 1000;
const t0 = 1_800_000_000_000;

it("charges fills until the budget is spent, the hour's first always, then starts a new hour", () => {
  expect(chargeFill("a", 150, 100, t0)).toBe(true); // larger than the budget, but the first
  expect(chargeFill("a", 1, 100, t0 + 1)).toBe(false);
  expect(chargeFill("b", 60, 100, t0)).toBe(true);
  expect(chargeFill("b", 40, 100, t0)).toBe(true);
  expect(chargeFill("b", 1, 100, t0)).toBe(false);
  expect(chargeFill("a", 1, 100, t0 + HOUR)).toBe(true);
});

it("gives a refunded charge back", () => {
  expect(chargeFill("c", 50, 100, t0)).toBe(true);
  expect(chargeFill("c", 50, 100, t0)).toBe(true);
  refundFill("c", 50, t0);
  expect(chargeFill("c", 50, 100, t0)).toBe(true);
  expect(chargeFill("c", 1, 100, t0)).toBe(false);
});

it("refuses a fill of unknown size, and has no budget at 0", () => {
  expect(chargeFill("d", null, 100, t0)).toBe(false);
  expect(chargeFill("d", null, 0, t0)).toBe(true);
  for (let i = 0; i < 5; i++) expect(chargeFill("d", 1e12, 0, t0)).toBe(true);
});
