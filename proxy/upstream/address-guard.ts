// Decides which URLs the proxy may connect to beyond its configured upstreams: the token
// realms and blob redirects those upstreams answer with. A public upstream must never
// steer the proxy to a loopback, private, link-local or otherwise non-public address; an
// upstream that is itself on such an address (a registry next to the Worker, or the test
// harness) may. IPv6 forms that carry an IPv4 address (mapped, compatible, translated,
// NAT64, 6to4) are judged by that IPv4 address, since they reach it. Names are judged
// only by their spelling: the Worker cannot resolve them first.

/** IPv4 ranges that are not public unicast: [first octets as a number, prefix length]. */
const PRIVATE_V4: [number, number][] = [
  [0x00000000, 8], // this network
  [0x0a000000, 8], // private
  [0x64400000, 10], // shared address space (carrier-grade NAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local, cloud metadata
  [0xac100000, 12], // private
  [0xc0000000, 24], // IETF protocol assignments
  [0xc0a80000, 16], // private
  [0xc6120000, 15], // benchmarking
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

/** IPv6 ranges refused outright: [first hextets, prefix length]. */
const PRIVATE_V6: [number[], number][] = [
  [[0x0064, 0xff9b, 0x0001], 48], // local-use NAT64
  [[0x0100], 64], // discard-only
  [[0x2001, 0x0000], 32], // Teredo: the IPv4 inside is obfuscated
  [[0x2001, 0x0db8], 32], // documentation
  [[0xfc00], 7], // unique local
  [[0xfe80], 10], // link-local
  [[0xfec0], 10], // site-local (deprecated, still routed by some stacks)
  [[0xff00], 8], // multicast
];

export function isPrivateHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.+$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) return true;
  if (host.includes(":")) {
    const hextets = parseIpv6(host);
    return hextets === null || isPrivateV6(hextets);
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) return isPrivateV4(v4);
  // Decimal or hex IPv4 spellings (http://2130706433/) are refused outright.
  return /^(0x[0-9a-f]+|\d+)$/.test(host);
}

function parseIpv4(text: string): number | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

function isPrivateV4(address: number): boolean {
  return PRIVATE_V4.some(([base, bits]) => (address >>> (32 - bits)) === (base >>> (32 - bits)));
}

/** The 8 hextets of an IPv6 address (`::` and a dotted IPv4 tail allowed); null if malformed. */
export function parseIpv6(text: string): number[] | null {
  let body = text.replace(/%.*$/, ""); // a zone id names an interface, not an address
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  let tailHextets: number[] = [];
  if (tail) {
    const v4 = parseIpv4(tail[2]);
    if (v4 === null) return null;
    body = tail[1].endsWith("::") ? tail[1] : tail[1].slice(0, -1);
    tailHextets = [v4 >>> 16, v4 & 0xffff];
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  const known = head.length + rest.length + tailHextets.length;
  const missing = 8 - known;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const zeros = new Array<number>(halves.length === 2 ? missing : 0).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...rest.map((g) => parseInt(g, 16)), ...tailHextets];
}

function isPrivateV6(h: number[]): boolean {
  const v4 = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;
  const zeroUpTo = (n: number) => h.slice(0, n).every((x) => x === 0);
  // ::/96 (unspecified, loopback, IPv4-compatible), ::ffff:0:0/96 (mapped), ::ffff:0:0:0/96 (translated).
  if (zeroUpTo(5) && (h[5] === 0 || h[5] === 0xffff)) return isPrivateV4(v4(h[6], h[7]));
  if (zeroUpTo(4) && h[4] === 0xffff && h[5] === 0) return isPrivateV4(v4(h[6], h[7]));
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return isPrivateV4(v4(h[6], h[7])); // NAT64
  if (h[0] === 0x2002) return isPrivateV4(v4(h[1], h[2])); // 6to4
  return PRIVATE_V6.some(([prefix, bits]) => prefixMatches(h, prefix, bits));
}

function prefixMatches(address: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((address[i] & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
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
