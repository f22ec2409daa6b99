// The page's side of the service worker (lib/rpc.ts): calls to the one that controls
// this page, or to a new version waiting to take over. Answers arrive on
// navigator.serviceWorker, whichever worker sends them.
import { DockerdlError } from "../../shared/errors.ts";
import { connect, type Remote } from "../lib/rpc.ts";
import type { ServiceWorkerServices } from "../sw/services.ts";

function remoteOf(target: () => ServiceWorker | Promise<ServiceWorker>): Remote<ServiceWorkerServices> {
  const { remote, receive } = connect<ServiceWorkerServices>(async (message, transfer) => (await target()).postMessage(message, transfer));
  if ("serviceWorker" in navigator) navigator.serviceWorker.addEventListener("message", (event) => receive(event.data));
  return remote;
}

async function controlling(): Promise<ServiceWorker> {
  // `ready` never settles when registration failed: give up after a while instead.
  const registration = "serviceWorker" in navigator
    ? await Promise.race([navigator.serviceWorker.ready, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))])
    : undefined;
  const sw = navigator.serviceWorker?.controller ?? registration?.active;
  if (!sw) throw new DockerdlError("NO_SERVICE_WORKER", "");
  return sw;
}

/** The service worker that controls this page (its calls fail with NO_SERVICE_WORKER when there is none). */
export const serviceWorker = remoteOf(controlling);

/** Asks a new version, installed and waiting, to take over; the page reloads when it has. */
export function takeOver(waiting: ServiceWorker): void {
  void remoteOf(() => waiting).skipWaiting().catch(() => {});
}

/** While a stream runs in the service worker, a message now and then keeps it alive; returns the stop. */
export function keepAwake(): () => void {
  const timer = setInterval(() => void serviceWorker.keepalive().catch(() => {}), 10_000);
  return () => clearInterval(timer);
}
