// Decides which URLs the proxy may connect to beyond its configured upstreams: the token
// realms and blob redirects those upstreams answer with. A public upstream must never
// steer the proxy to a loopback, private or link-local address; an upstream that is
// itself on such an address (a registry next to the Worker, or the test harness) may.

export function isPrivateHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224
    );
  }
  if (host.includes(":")) {
    if (host === "::" || host === "::1") return true;
    if (/^f[cd]/.test(host) || /^fe[89ab]/.test(host)) return true; // unique local, link-local
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return isPrivateHostname(mapped[1]);
    return false;
  }
  // Decimal or hex IPv4 spellings (http://2130706433/) are refused outright.
  return /^(0x[0-9a-f]+|\d+)$/.test(host);
}

export class ForbiddenTargetError extends Error {}

/** Throws unless `target` may be contacted on behalf of `upstream`. */
export function checkTarget(target: URL, upstream: URL): void {
  if (target.protocol !== "https:" && target.protocol !== "http:") {
    throw new ForbiddenTargetError(`refusing to contact ${target.protocol} URL ${target.origin}`);
  }
  if (isPrivateHostname(target.hostname) && !isPrivateHostname(upstream.hostname)) {
    throw new ForbiddenTargetError(`refusing to contact private address ${target.host} on behalf of ${upstream.host}`);
  }
  if (target.protocol === "http:" && upstream.protocol === "https:") {
    throw new ForbiddenTargetError(`refusing to downgrade from https to http (${target.host})`);
  }
}
