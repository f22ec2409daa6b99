// A web lookup nothing answers ends at its deadline (web/lib/lookup-deadline.ts): with an
// error that says what and how long, worded in English and Chinese, its request aborted;
// a lookup that answers in time, or that the caller stops, is left as it is.
import { describe, expect, it } from "vitest";
import { errorInfoOf } from "../../web/lib/errors.ts";
import { withLookupDeadline } from "../../web/lib/lookup-deadline.ts";
import { errorText } from "../../web/page/i18n/error-text.ts";

const never = () => new Promise<never>(() => {});

describe("a lookup's deadline", () => {
  it("ends a lookup that ignores its signal with NETWORK.lookup_timeout, in both languages", async () => {
    const error = await withLookupDeadline("basic.test/team/tool:v1", never, undefined, 30).catch((e: unknown) => e);
    const info = errorInfoOf(error);
    expect(info).toMatchObject({ code: "NETWORK", key: "NETWORK.lookup_timeout", params: { what: "basic.test/team/tool:v1", seconds: "0" } });
    expect(errorText(info, "en").message).toBe("Looking up basic.test/team/tool:v1 took more than 0 s with no answer.");
    expect(errorText(info, "zh").message).toBe("查询 basic.test/team/tool:v1 超过 0 秒仍无应答");
    expect(errorText(info, "zh").hint).toContain("刷新页面");
  });

  it("aborts the lookup's signal at the deadline, so its request stops too", async () => {
    let seen: AbortSignal | undefined;
    const error = await withLookupDeadline("x:v1", (signal) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    }, undefined, 30).catch((e: unknown) => e);
    expect(seen?.aborted).toBe(true);
    expect(errorInfoOf(error).key).toBe("NETWORK.lookup_timeout");
  });

  it("passes an answer in time through, and a caller's own stop stays a stop", async () => {
    expect(await withLookupDeadline("x:v1", async () => 7, undefined, 1000)).toBe(7);
    const caller = new AbortController();
    const stopped = withLookupDeadline("x:v1", (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error))), caller.signal, 1000);
    const reason = new DOMException("stopped", "AbortError");
    caller.abort(reason);
    expect(await stopped.catch((e: unknown) => e)).toBe(reason);
  });
});
