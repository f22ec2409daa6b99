// Causes whose remedies used to be mixed up (#28): each cause has its own key, its
// English message and its own remedy, with the names in it as {placeholders} filled in
// unchanged. The CLI prints message and hint from here; the web app words the same keys
// in Chinese (web/page/i18n/error-words.ts), and a unit test holds both tables to the
// same keys and placeholders. Remedies name the CLI's commands and flags: the web app's
// own hints (error-words.ts) say what to do in the app.

import { DockerdlError, type DockerdlErrorOptions, type ErrorParams, type KnownErrorCode } from "./errors.ts";

export interface Cause {
  code: KnownErrorCode;
  message: string;
  hint: string;
}

export const CAUSES = {
  "UNKNOWN_REGISTRY.not_served": {
    code: "UNKNOWN_REGISTRY",
    message: "the mirror {host} does not serve registry {registry}; it serves {known}",
    hint: "ask the mirror's operator to add {registry} to UPSTREAMS, or pull it without --proxy",
  },
  "NOT_FOUND.repository": {
    code: "NOT_FOUND",
    message: "{repository} does not exist on {host}",
    hint: "check the spelling of the name (Docker Hub's official images have one-word names: ubuntu = library/ubuntu); the web app's Search finds images by name",
  },
  "NOT_FOUND.tag": {
    code: "NOT_FOUND",
    message: "{repository} has no tag {tag}",
    hint: "tags are case-sensitive; list the ones it has with: dockerdl tags {repository}",
  },
  "NOT_FOUND.tag_nearby": {
    code: "NOT_FOUND",
    message: "{repository} has no tag {tag}; tags it has that are close: {nearby}",
    hint: "tags are case-sensitive; list them all with: dockerdl tags {repository}",
  },
  "NETWORK.unreachable": {
    code: "NETWORK",
    message: "could not reach {host} while fetching {what}: {cause}",
    hint: "check the network connection and the address; if {host} serves plain http, add --insecure",
  },
  "NETWORK.unreachable_http": {
    code: "NETWORK",
    message: "could not reach {host} while fetching {what}: {cause}",
    hint: "check that the registry at {host} is running and that the address is right",
  },
  "NETWORK.proxy": {
    code: "NETWORK",
    message: "could not reach {host} through the proxy {proxy} (from {variable}) while fetching {what}: {cause}",
    hint: "check that the proxy {proxy} is running and reachable; correct or unset {variable}, or list {host} in NO_PROXY to go direct",
  },
  "BAD_PLATFORM.reversed": {
    code: "BAD_PLATFORM",
    message: "\"{platform}\" names the architecture before the operating system; did you mean {suggestion}?",
    hint: "write the operating system first: {suggestion}",
  },
} as const satisfies Record<string, Cause>;

export type CauseKey = keyof typeof CAUSES;

/** `{name}` replaced by params' value, inserted as given; an unknown name stays as written. */
export function fillTemplate(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

/** The placeholders a template names, for the tests that hold the languages together. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

/** Code, message and the options (hint, key, params) of a cause, for whichever error class carries it. */
export function causeOf(key: CauseKey, params: ErrorParams): { code: KnownErrorCode; message: string; options: DockerdlErrorOptions & { key: string; params: ErrorParams } } {
  const cause = CAUSES[key];
  return { code: cause.code, message: fillTemplate(cause.message, params), options: { hint: fillTemplate(cause.hint, params), key, params } };
}

export function causeError(key: CauseKey, params: ErrorParams, cause?: unknown): DockerdlError {
  const { code, message, options } = causeOf(key, params);
  return new DockerdlError(code, message, { ...options, ...(cause === undefined ? {} : { cause }) });
}
