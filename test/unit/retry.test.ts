// The one retry helper (shared/retry.ts) the registry client's small requests and the
// engine's blob ranges share: transient failures only, doubling delays or the server's
// Retry-After (each capped), a count that starts again after progress, and an abort that
// ends a wait at once as a cancellation.
import { describe, expect, it } from "vitest";
import { DockerdlError } from "../../shared/errors.ts";
import { RegistryError } from "../../shared/registry/errors.ts";
import { backoffDelay, retrying, sleep } from "../../shared/retry.ts";

const fast = { baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 5 };
const flaky = () => new RegistryError("UPSTREAM", "503");

describe("backoffDelay", () => {
  it("doubles from the base up to the cap, and honours Retry-After up to its own cap", () => {
    const backoff = { baseDelayMs: 500, maxDelayMs: 3000, maxRetryAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, backoff))).toEqual([500, 1000, 2000, 3000, 3000]);
    expect(backoffDelay(1, backoff, 10_000)).toBe(10_000);
    expect(backoffDelay(1, backoff, 3_600_000)).toBe(60_000);
  });

  it("spreads a jittered delay over ±25%", () => {
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(2, { baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 0, jitter: true });
      expect(delay).toBeGreaterThanOrEqual(150);
      expect(delay).toBeLessThanOrEqual(250);
    }
  });
});

describe("retrying", () => {
  it("retries transient failures up to `retries`, then throws the last one (or what gaveUp makes of it)", async () => {
    let calls = 0;
    await expect(retrying(async () => {
      calls++;
      throw flaky();
    }, { ...fast, retries: 2 })).rejects.toMatchObject({ code: "UPSTREAM" });
    expect(calls).toBe(3);
    await expect(retrying(async () => {
      throw flaky();
    }, { ...fast, retries: 1, gaveUp: (_error, attempts) => new Error(`gave up after ${attempts}`) })).rejects.toThrow("gave up after 2");
  });

  it("throws a failure that will not pass at once", async () => {
    let calls = 0;
    await expect(retrying(async () => {
      calls++;
      throw new RegistryError("NOT_FOUND", "404");
    }, { ...fast, retries: 5 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(calls).toBe(1);
  });

  it("counts from one again after an attempt that made progress, and reports each retry", async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await retrying(async () => {
      calls++;
      if (calls < 6) throw flaky();
      return "done";
    }, { ...fast, retries: 2, progressed: () => calls % 2 === 0, onRetry: (failures) => retries.push(failures) });
    expect(result).toBe("done");
    expect(retries).toEqual([1, 1, 2, 1, 2]);
    expect(calls).toBe(6);
  });

  it("waits what Retry-After says, within its cap", async () => {
    const delays: number[] = [];
    let calls = 0;
    await retrying(async () => {
      if (calls++ === 0) throw new RegistryError("RATE_LIMITED", "429", { retryAfterMs: 60_000 });
    }, { ...fast, retries: 1, onRetry: (_failures, delayMs) => delays.push(delayMs) });
    expect(delays).toEqual([5]);
  });

  it("ends a wait as soon as the signal aborts, with the abort's DockerdlError or CANCELLED", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const attempt = retrying(async () => {
      throw flaky();
    }, { baseDelayMs: 60_000, maxDelayMs: 60_000, maxRetryAfterMs: 0, retries: 3, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(attempt).rejects.toMatchObject({ code: "CANCELLED" });
    expect(Date.now() - started).toBeLessThan(5_000);
    const failed = new AbortController();
    failed.abort(new DockerdlError("DISK_FULL", "the disk is full"));
    await expect(sleep(60_000, failed.signal)).rejects.toMatchObject({ code: "DISK_FULL" });
  });
});
