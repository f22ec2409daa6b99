// Entry of the PWA: mounts the app and registers the service worker.
import { render } from "preact";
import { App } from "./app.tsx";

render(<App />, document.getElementById("app")!);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error: unknown) => {
    console.warn("service worker registration failed", error);
  });
}
