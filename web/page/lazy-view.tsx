// Loads a view's module on first use, so the download form's initial JS stays small
// (preact/compat's lazy + Suspense would add more than the views it defers).
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

type Loader<P> = () => Promise<ComponentType<P>>;

export function LazyView<P extends object>({ load, props, fallback }: { load: Loader<P>; props: P; fallback: preact.ComponentChildren }) {
  const [Component, setComponent] = useState<ComponentType<P>>();
  const [failed, setFailed] = useState<unknown>();
  useEffect(() => {
    let live = true;
    load().then((c) => live && setComponent(() => c), (e: unknown) => live && setFailed(e));
    return () => {
      live = false;
    };
  }, [load]);
  if (failed) return <p class="field-error" role="alert">{String(failed)}</p>;
  return Component ? <Component {...props} /> : <>{fallback}</>;
}
