// The application shell. The download flow lands here in a later change.
export function App() {
  return (
    <main>
      <h1>dockerdl</h1>
      <p>Download container images without Docker. 无需 Docker 即可下载容器镜像。</p>
      <p>
        The registry mirror answers at <code>/v2/</code> on this host.
      </p>
    </main>
  );
}
