// Registers the service worker (offline shell and streamed downloads) and reports a
// new version waiting to take over, so the page can offer to reload into it.

export function registerServiceWorker(onUpdate: (waiting: ServiceWorker) => void): void {
  if (!("serviceWorker" in navigator)) return;
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // Only a page that was already controlled reloads: the first install just claims it.
    if (reloading || !hadController) return;
    reloading = true;
    location.reload();
  });
  const hadController = navigator.serviceWorker.controller !== null;
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
      registration.addEventListener("updatefound", () => watch(registration.installing));
      // Long-lived tabs (an installed app) look for new versions hourly.
      setInterval(() => void registration.update().catch(() => {}), 60 * 60_000);
    })
    .catch((error: unknown) => console.warn("service worker registration failed", error));
}
