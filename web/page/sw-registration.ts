// Registers the service worker (offline shell and streamed downloads) and reports a
// new version waiting to take over, so the page can offer to reload into it.

export function registerServiceWorker(onUpdate: (waiting: ServiceWorker) => void): void {
  if (!("serviceWorker" in navigator)) return;
  let reloading = false;
  // Whether the page had a controller before the latest change: a page opened before
  // any service worker was claimed by the first one, and a later change is an update.
  let controlled = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Only a page that was already controlled reloads: the first install just claims it.
    const hadController = controlled;
    controlled = true;
    if (reloading || !hadController) return;
    reloading = true;
    location.reload();
  });
  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then((registration) => {
      const watch = (worker: ServiceWorker | null) => {
        if (!worker) return;
        const check = () => {
          if (worker.state === "installed" && navigator.serviceWorker.controller) onUpdate(worker);
        };
        check();
        worker.addEventListener("statechange", check);
      };
      watch(registration.waiting);
      // A new version may already be installing when register() resolves, its
      // updatefound already past.
      watch(registration.installing);
      registration.addEventListener("updatefound", () => watch(registration.installing));
      // Long-lived tabs (an installed app) look for new versions hourly.
      setInterval(() => void registration.update().catch(() => {}), 60 * 60_000);
    })
    .catch((error: unknown) => console.warn("service worker registration failed", error));
}
