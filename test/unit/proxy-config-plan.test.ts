// The Workers plan the config loader reads (proxy/config.ts): PLAN ("free" by default,
// or "paid") and a Paid account's own SUBREQUEST_LIMIT, which /api/download's budget
// (proxy/api/subrequest-budget.ts) is held to; bad values refused naming the var.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../proxy/config.ts";

describe("PLAN and SUBREQUEST_LIMIT", () => {
  it.each([
    [{}, { plan: "free", subrequestLimit: undefined }],
    [{ PLAN: "" }, { plan: "free", subrequestLimit: undefined }],
    [{ PLAN: "Free" }, { plan: "free", subrequestLimit: undefined }],
    [{ PLAN: "paid" }, { plan: "paid", subrequestLimit: undefined }],
    [{ PLAN: " PAID ", SUBREQUEST_LIMIT: "50000" }, { plan: "paid", subrequestLimit: 50_000 }],
    [{ PLAN: "paid", SUBREQUEST_LIMIT: "" }, { plan: "paid", subrequestLimit: undefined }],
  ])("reads %j", (vars, read) => {
    expect(loadConfig(vars)).toMatchObject(read);
  });

  it.each([
    [{ PLAN: "pro" }, /^PLAN must be "free" or "paid"/],
    [{ SUBREQUEST_LIMIT: "20000" }, /^SUBREQUEST_LIMIT is for a Workers Paid account/],
    [{ PLAN: "free", SUBREQUEST_LIMIT: "20000" }, /^SUBREQUEST_LIMIT is for a Workers Paid account/],
    [{ PLAN: "paid", SUBREQUEST_LIMIT: "lots" }, /^SUBREQUEST_LIMIT must be a whole number/],
    [{ PLAN: "paid", SUBREQUEST_LIMIT: "0" }, /^SUBREQUEST_LIMIT must be a whole number/],
    [{ PLAN: "paid", SUBREQUEST_LIMIT: "1.5" }, /^SUBREQUEST_LIMIT must be a whole number/],
  ])("refuses %j", (vars, message) => {
    expect(() => loadConfig(vars)).toThrow(ConfigError);
    expect(() => loadConfig(vars)).toThrow(message);
  });
});
