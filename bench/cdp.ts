// Headless Chromium for the bench, started by itself and driven over one DevTools
// WebSocket with only the domains the bench needs (Target, Page, Runtime). Not
// Playwright: it turns network tracking on in every worker it sees, and the download
// worker then spends about 3 s of its thread per GiB received on the debugger (a plain
// fetch of the bench's layers in a worker: 190 MB/s under Playwright, 460 MB/s without).
// A person's browser has no debugger attached, so the bench's must not either.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM, OPFS_PICKER } from "../test/e2e/browser.ts";

type Params = Record<string, unknown>;

export interface BenchBrowser {
  /** A DevTools call to the page (or to a worker's session). */
  send<T = unknown>(method: string, params?: Params, sessionId?: string): Promise<T>;
  /** Evaluates `expression` in the page, awaiting a promise, as a person's gesture. */
  evaluate<T>(expression: string): Promise<T>;
  /** Sessions of the page's dedicated workers and theirs, attached as they start. */
  workers: Set<string>;
  /** Calls `listener` with each worker's session and name (its title), those attached already first. */
  onWorker(listener: (sessionId: string, name: string) => void): void;
  close(): Promise<void>;
}

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
  "--remote-debugging-port=0", "about:blank",
];

/** Chromium in a fresh profile, with the OPFS save picker of test/e2e/browser.ts. */
export async function launchBenchBrowser(): Promise<BenchBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "dockerdl-bench-chromium-"));
  // Its own process group, so that closing it ends its renderers and helpers too.
  const child = spawn(CHROMIUM, [`--user-data-dir=${profile}`, ...FLAGS], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  try {
    const ws = new WebSocket(await devtoolsUrl(child));
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", reject, { once: true });
    });
    let nextId = 0;
    const answers = new Map<number, (message: { result?: unknown; error?: { message: string } }) => void>();
    const workers = new Set<string>();
    const names = new Map<string, string>();
    const listeners: ((sessionId: string, name: string) => void)[] = [];
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number; method?: string; result?: unknown; error?: { message: string }; params?: { sessionId: string; targetInfo?: { type: string; title: string } };
      };
      if (message.id !== undefined) answers.get(message.id)?.(message);
      else if (message.method === "Target.attachedToTarget" && message.params?.targetInfo?.type === "worker") {
        const worker = message.params.sessionId;
        workers.add(worker);
        names.set(worker, message.params.targetInfo.title);
        for (const listener of listeners) listener(worker, message.params.targetInfo.title);
        // A worker's own workers too (the download worker's hashing thread).
        void call("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, worker).catch(() => {});
      }
      else if (message.method === "Target.detachedFromTarget" && message.params) workers.delete(message.params.sessionId);
    });
    const call = async <T>(method: string, params: Params = {}, sessionId?: string): Promise<T> => {
      const id = ++nextId;
      const answer = new Promise<{ result?: unknown; error?: { message: string } }>((resolve) => answers.set(id, resolve));
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      const message = await answer;
      answers.delete(id);
      if (message.error) throw new Error(`${method}: ${message.error.message}`);
      return message.result as T;
    };
    const { targetInfos } = await call<{ targetInfos: { targetId: string; type: string }[] }>("Target.getTargets");
    const target = targetInfos.find((t) => t.type === "page");
    if (!target) throw new Error("Chromium opened no page");
    const { sessionId: page } = await call<{ sessionId: string }>("Target.attachToTarget", { targetId: target.targetId, flatten: true });
    await call("Page.enable", {}, page);
    await call("Page.addScriptToEvaluateOnNewDocument", { source: OPFS_PICKER }, page);
    await call("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, page);
    return {
      workers,
      onWorker(listener) {
        listeners.push(listener);
        for (const worker of workers) listener(worker, names.get(worker) ?? "");
      },
      send: (method, params, sessionId) => call(method, params, sessionId ?? page),
      async evaluate<T>(expression: string) {
        const answer = await call<{ result: { value: T }; exceptionDetails?: { exception?: { description?: string }; text: string } }>(
          "Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true, userGesture: true }, page);
        if (answer.exceptionDetails) throw new Error(answer.exceptionDetails.exception?.description ?? answer.exceptionDetails.text);
        return answer.result.value;
      },
      async close() {
        await call("Browser.close").catch(() => {});
        ws.close();
        await stop(child);
        rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
      },
    };
  } catch (error) {
    await stop(child);
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    throw error;
  }
}

function devtoolsUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let said = "";
    child.stderr?.on("data", (data: Buffer) => {
      said += data.toString();
      const url = /DevTools listening on (ws:\/\/\S+)/.exec(said)?.[1];
      if (url) resolve(url);
    });
    child.once("exit", () => reject(new Error(`Chromium exited before its DevTools endpoint was up: ${said.slice(-2000)}`)));
  });
}

/** Ends Chromium's whole process group (its renderers outlive it for a moment otherwise). */
async function stop(child: ChildProcess): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // already gone
    }
  };
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve));
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  signal("SIGKILL");
}
