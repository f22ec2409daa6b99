// The token the mirror issues for an upstream that takes Basic credentials: the client's
// credentials and an expiry, sealed with AES-GCM under a key derived from the Worker
// secret TOKEN_SECRET, with the upstream's UPSTREAMS key as additional data. So the token
// is not the password (it reveals nothing without the secret), it expires, and it opens
// only for the upstream it was issued for: presented for any other it is worth nothing.
// Nothing is stored; the credentials travel inside the token.
//
// Without TOKEN_SECRET the key is random and kept in this isolate's memory: tokens then
// work only in the isolate that issued them (enough for `wrangler dev`, a single
// isolate); elsewhere a client falls back to the upstream's own Basic challenge.

/** How long a sealed token opens, in seconds; clients ask /token again after expires_in. */
export const SEALED_TOKEN_TTL = 15 * 60;

const VERSION = "v1";
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();
let isolateKey: Promise<CryptoKey> | undefined;

function sealingKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) {
    isolateKey ??= crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]) as Promise<CryptoKey>;
    return isolateKey;
  }
  let key = keys.get(secret);
  if (!key) {
    // HKDF rather than the secret's bytes as the key: any length of secret gives a full
    // 256-bit key, and the key serves only this purpose.
    key = crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]).then((material) =>
      crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: encoder.encode("dockerdl sealed token"), info: encoder.encode(VERSION) },
        material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]));
    keys.set(secret, key);
  }
  return key;
}

/** `credentials` (what follows "Basic ") sealed for `upstreamKey` until now + SEALED_TOKEN_TTL. */
export async function sealCredentials(credentials: string, upstreamKey: string, secret: string | undefined, now = Date.now()): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = encoder.encode(JSON.stringify({ c: credentials, e: Math.floor(now / 1000) + SEALED_TOKEN_TTL }));
  const sealed = new Uint8Array(await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(`${VERSION} ${upstreamKey}`) }, await sealingKey(secret), plaintext));
  const bytes = new Uint8Array(iv.length + sealed.length);
  bytes.set(iv);
  bytes.set(sealed, iv.length);
  return toBase64Url(bytes);
}

/** The credentials sealed in `token` for `upstreamKey`; null if it was sealed for another, altered, or expired. */
export async function openCredentials(token: string, upstreamKey: string, secret: string | undefined, now = Date.now()): Promise<string | null> {
  const bytes = fromBase64Url(token);
  if (bytes === null || bytes.length < 12 + 16) return null;
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: encoder.encode(`${VERSION} ${upstreamKey}`) },
      await sealingKey(secret), bytes.subarray(12));
  } catch {
    return null;
  }
  const { c, e } = JSON.parse(new TextDecoder().decode(plaintext)) as { c: string; e: number };
  return e * 1000 > now ? c : null;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  } catch {
    return null; // a length no base64 text has
  }
}
