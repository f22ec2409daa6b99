// Connection failures a person can act on, told in words instead of OpenSSL codes: an
// https URL whose server speaks plain http, and a certificate this machine does not trust.
import { DockerdlError } from "../../shared/errors.ts";

const PLAIN_HTTP_CODES = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG", "ERR_SSL_HTTP_REQUEST"]);
const UNTRUSTED_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_UNTRUSTED", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_SIGNATURE_FAILURE", "CERT_REJECTED", "INVALID_CA",
]);

/** The codes of an error and its causes (fetch wraps the socket's error). */
function codesOf(error: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    messages.push(e.message);
  }
  return { codes, messages };
}

/**
 * A DockerdlError for a TLS failure of `url`, or undefined for any other error.
 * `mirror` is the --proxy origin, named as the mirror in messages.
 */
export function tlsError(error: unknown, url: URL, mirror: string | undefined): DockerdlError | undefined {
  const { codes, messages } = codesOf(error);
  const isMirror = mirror !== undefined && new URL(mirror).origin === url.origin;
  if (url.protocol === "https:" && (codes.some((c) => PLAIN_HTTP_CODES.has(c)) || messages.some((m) => /wrong version number|packet length too long|http request/i.test(m)))) {
    const plain = `http://${url.host}`;
    return isMirror
      ? new DockerdlError("TLS", `the mirror at ${url.origin} speaks http, not https; use ${plain}`, { hint: `give --proxy ${plain} (or set DOCKERDL_PROXY=${plain})`, cause: error })
      : new DockerdlError("TLS", `${url.host} speaks http, not https`, { hint: "for a registry that speaks plain http add --insecure", cause: error });
  }
  const untrusted = codes.find((c) => UNTRUSTED_CODES.has(c));
  if (untrusted !== undefined) {
    return new DockerdlError("TLS", `the TLS certificate of ${url.host} is not trusted (${describe(untrusted)})`, {
      hint: "if it is signed by a private CA, add --ca-file CA.pem; if you trust this host's self-signed certificate, add --tls-verify=false",
      cause: error,
    });
  }
  return undefined;
}

function describe(code: string): string {
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
      return "self-signed";
    case "CERT_HAS_EXPIRED":
      return "expired";
    case "CERT_NOT_YET_VALID":
      return "not yet valid";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return "issued for another name";
    default:
      return "signed by an unknown authority";
  }
}
