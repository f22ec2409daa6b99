// Which HTTP proxy a request goes through, from the environment as curl, undici's
// EnvHttpProxyAgent and Node's NODE_USE_ENV_PROXY read it: http_proxy/HTTP_PROXY for
// http URLs, https_proxy/HTTPS_PROXY (else the http one) for https URLs, and
// no_proxy/NO_PROXY (comma- or space-separated hosts, `.suffix` or `*.suffix` for a
// domain and its subdomains, `host:port`, or `*` for everything) to go direct. The
// lower-case form wins, as in curl. Loopback is not exempt unless NO_PROXY says so.

export type Env = Record<string, string | undefined>;

export interface ProxyChoice {
  /** The proxy's URL, or undefined to connect directly. */
  proxy?: string;
  /** Why, for -v: the variable that chose the proxy, or that NO_PROXY exempted the host. */
  reason: string;
}

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

function variable(env: Env, name: string): { name: string; value: string } | undefined {
  for (const key of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") return { name: key, value: value.trim() };
  }
  return undefined;
}

/** A proxy written without a scheme (`proxy:3128`) is an http proxy, as curl reads it. */
export function normaliseProxyUrl(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

export function isExempt(url: URL, noProxy: string): boolean {
  const hostname = url.host.replace(/:\d*$/, "").toLowerCase();
  const port = Number.parseInt(url.port, 10) || DEFAULT_PORTS[url.protocol] || 0;
  const entries = noProxy.split(/[,\s]/).filter(Boolean);
  if (entries.includes("*")) return true;
  return entries.some((entry) => {
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const host = (parsed ? parsed[1] : entry).replace(/^\*?\./, "").toLowerCase();
    if (parsed && Number(parsed[2]) !== port) return false;
    return hostname === host || hostname.endsWith(`.${host}`);
  });
}

export function proxyFor(url: URL, env: Env): ProxyChoice {
  const http = variable(env, "http_proxy");
  const chosen = url.protocol === "https:" ? (variable(env, "https_proxy") ?? http) : http;
  if (chosen === undefined) return { reason: "no proxy variable set" };
  const noProxy = variable(env, "no_proxy");
  if (noProxy !== undefined && isExempt(url, noProxy.value)) return { reason: `${noProxy.name} exempts it` };
  return { proxy: normaliseProxyUrl(chosen.value), reason: chosen.name };
}

/** A proxy URL for messages: its password (and user) never printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? "***" : "";
      parsed.password = "";
    }
    return parsed.href.replace(/\/$/, "");
  } catch {
    return "(not a URL)";
  }
}
