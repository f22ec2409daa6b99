// Image references (`ubuntu:22.04`, `ghcr.io/owner/app@sha256:…`): parsing with
// Docker's grammar (distribution/reference), normalising to the full form registries
// are asked with (also what a tar's RepoTags hold), and the short forms docker shows.

import { digestProblem } from "./digest.ts";
import { BadReferenceError } from "./errors.ts";
import type { Platform } from "./platform.ts";

/** Always normalised: the registry is explicit and Docker Hub's official images carry `library/`. */
export interface Reference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, "index.docker.io", "registry-1.docker.io"]);
const DEFAULT_TAG = "latest";
/** The longest full name (registry, "/", repository), as Docker counts it. */
export const NAME_MAX = 255;

const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_NAME = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

export function parseReference(input: string): Reference {
  const text = input.trim();
  if (text === "") {
    throw new BadReferenceError("the image reference is empty", "type an image name such as ubuntu:22.04 or ghcr.io/owner/app:1.0", "empty");
  }
  const quoted = JSON.stringify(text);
  if (/\s/.test(text)) throw new BadReferenceError(`${quoted} is not valid: image references cannot contain spaces`, undefined, "spaces", { reference: text });
  if (IMAGE_ID.test(text)) {
    throw new BadReferenceError(`${quoted} is not valid: a 64-character hex string is an image ID, not a repository name`, undefined, "image_id", { reference: text });
  }

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.includes("@")) throw new BadReferenceError(`${quoted} is not valid: it contains more than one "@"`, undefined, "two_at", { reference: text });
    if (digestProblem(digest) !== undefined) {
      throw new BadReferenceError(
        `digest ${JSON.stringify(digest)} is not valid: a digest must be sha256: followed by 64 lowercase hex characters`,
        undefined, "digest", { digest },
      );
    }
  }

  // A ":" after the last "/" starts the tag; one before it belongs to a registry port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) {
      throw new BadReferenceError(
        `tag ${JSON.stringify(tag)} is not valid: a tag is 1 to 128 letters, digits, "_", "." or "-", and cannot start with "." or "-"`,
        undefined, "tag", { tag },
      );
    }
  }
  if (rest === "") throw new BadReferenceError(`${quoted} is not valid: the repository name is missing`, undefined, "no_name", { reference: text });

  const { registry, path } = splitRegistry(rest);
  if (registry !== undefined) checkRegistry(registry);
  if (path === "") throw new BadReferenceError(`${quoted} is not valid: the repository name is missing after the registry`, undefined, "no_name", { reference: text });
  checkPath(path);

  const normalisedRegistry = registry === undefined ? DOCKER_HUB : normaliseRegistry(registry);
  const repository = registryRepository(normalisedRegistry, path);
  const fullLength = fullNameLength(normalisedRegistry, repository);
  if (fullLength > NAME_MAX) {
    throw new BadReferenceError(
      `the repository name is ${fullLength} characters long with its registry (${normalisedRegistry}/…); the limit is ${NAME_MAX}`,
      undefined, "too_long", { length: String(fullLength), limit: String(NAME_MAX) },
    );
  }

  const ref: Reference = { registry: normalisedRegistry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  else if (tag === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** Docker Hub under any of its names (docker.io, index.docker.io, registry-1.docker.io). */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase());
}

/** A registry as references name it: lowercase, and Docker Hub's other names as docker.io. */
export function normaliseRegistry(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB : registry.toLowerCase();
}

/** localhost, 127.x.x.x or [::1], with or without a port: a registry dockerdl asks over plain http. */
export function isLoopbackRegistry(registry: string): boolean {
  const hostname = registry.replace(/:\d+$/, "");
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The repository as the registry knows it: Docker Hub's one-component names are `library/` ones. */
export function registryRepository(registry: string, path: string): string {
  return registry === DOCKER_HUB && !path.includes("/") ? `library/${path}` : path;
}

/** The length NAME_MAX limits: the registry, "/", and the repository as the registry knows it. */
export function fullNameLength(registry: string, repository: string): number {
  return registry.length + 1 + repository.length;
}

/**
 * Docker's rule: a name's first component names a registry when it is "localhost" or
 * holds a "." or ":". (Docker also takes a first component with capitals as a host;
 * here that gets the clearer "must be lowercase" error, since such hosts are next to
 * unheard of.)
 */
export function namesRegistry(firstComponent: string): boolean {
  return firstComponent === "localhost" || firstComponent.includes(".") || firstComponent.includes(":");
}

/** One component of a repository path: lowercase letters and digits, with ".", "_", "__" or "-" between. */
export function isPathComponent(component: string): boolean {
  return PATH_COMPONENT.test(component);
}

/** A tag: 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-". */
export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

function splitRegistry(name: string): { registry?: string; path: string } {
  const slash = name.indexOf("/");
  if (slash === -1) return { path: name };
  const first = name.slice(0, slash);
  return namesRegistry(first) ? { registry: first, path: name.slice(slash + 1) } : { path: name };
}

function checkRegistry(registry: string): void {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith("[")) {
    const close = registry.indexOf("]");
    host = registry.slice(0, close + 1);
    const after = registry.slice(close + 1);
    if (close === -1 || (after !== "" && !after.startsWith(":"))) host = "";
    else if (after !== "") port = after.slice(1);
  } else {
    const colon = registry.indexOf(":");
    if (colon !== -1) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
  }
  const hostOk = IPV6.test(host) || DOMAIN_NAME.test(host);
  const portOk = port === undefined || (/^[0-9]{1,5}$/.test(port) && Number(port) <= 65535);
  if (!hostOk || !portOk) {
    throw new BadReferenceError(
      `registry ${JSON.stringify(registry)} is not valid: a registry is a host name or IP address (IPv6 in brackets), optionally followed by :port`,
      undefined, "registry", { registry },
    );
  }
}

function checkPath(path: string): void {
  const quoted = JSON.stringify(path);
  if (path !== path.toLowerCase()) {
    throw new BadReferenceError(`${quoted} is not valid: repository names must be lowercase`, undefined, "uppercase", { path });
  }
  const components = path.split("/");
  if (components.includes("")) {
    throw new BadReferenceError(`${quoted} is not valid: the repository path has an empty component (a leading, trailing or doubled "/")`, undefined, "empty_component", { path });
  }
  const bad = components.find((c) => !isPathComponent(c));
  if (bad !== undefined) {
    throw new BadReferenceError(
      `${quoted} is not valid: each part of a repository path must start and end with a lowercase letter or digit, ` +
        `with only ".", "_", "__" or "-" between them (found ${JSON.stringify(bad)})`,
      undefined, "component", { path, component: bad },
    );
  }
}

/** The canonical full form: docker.io/library/ubuntu:22.04, with @digest when pinned. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

/** The repository as docker shows it: `ubuntu`, `user/app`, `ghcr.io/owner/app`. */
export function familiarRepository(ref: Reference): string {
  if (ref.registry !== DOCKER_HUB) return `${ref.registry}/${ref.repository}`;
  const official = ref.repository.startsWith("library/") ? ref.repository.slice("library/".length) : undefined;
  return official !== undefined && !official.includes("/") ? official : ref.repository;
}

/** The short form docker shows: ubuntu:22.04, user/app:1, ghcr.io/o/a:tag, ubuntu@sha256:…. */
export function familiarName(ref: Reference): string {
  return `${familiarRepository(ref)}${suffix(ref)}`;
}

/**
 * What `docker load` and `podman load` tag the image as (manifest.json's RepoTags), none
 * when pinned by digest only: the full name, docker.io/library/alpine:3.20. `docker save`
 * writes the short alpine:3.20, which docker reads back as docker.io/library/alpine:3.20
 * (it normalises every RepoTag) but podman reads as localhost/alpine:3.20 (it qualifies
 * a short name with localhost/). Written in full, both load it under the one name, and
 * under the name podman gives the same image from index.json when the tar holds one image.
 */
export function repoTag(ref: Reference): string | undefined {
  return ref.tag === undefined ? undefined : `${ref.registry}/${ref.repository}:${ref.tag}`;
}

function suffix(ref: Reference): string {
  return `${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}

/** A file name safe on every OS: ubuntu_22.04_linux_arm64.tar. */
export function defaultFileName(ref: Reference, platform?: Platform): string {
  const parts = [familiarRepository(ref)];
  if (ref.tag !== undefined) parts.push(ref.tag);
  else if (ref.digest !== undefined) parts.push(ref.digest.replace(":", "-").slice(0, "sha256-".length + 12));
  if (platform !== undefined) {
    parts.push(platform.os, platform.architecture);
    if (platform.variant) parts.push(platform.variant);
  }
  const base = parts
    .join("_")
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/_{2,}/g, "_")
    .replace(/^[._-]+/, "");
  return `${base || "image"}.tar`;
}
