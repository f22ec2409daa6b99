// Reading and checking what a client sent: the same fields arrive as query parameters
// (GET, for curl and links) or as a JSON object (POST, for the PWA). Everything a
// handler uses passes through here, so bad input always gets the same clear 4xx.
import { readBody } from "../../shared/http.ts";
import { ApiError } from "./errors.ts";

/** Request bodies are a few small fields; anything bigger is a mistake or abuse. */
export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_QUERY_LENGTH = 100;

export type Params = Record<string, unknown>;

/**
 * The request's fields. `names` maps each field to the query-parameter spellings that
 * GET accepts for it (e.g. query ← q, query).
 */
export async function readParams(request: Request, names: Record<string, string[]>): Promise<Params> {
  if (request.method === "GET" || request.method === "HEAD") {
    const search = new URL(request.url).searchParams;
    const out: Params = {};
    for (const [field, spellings] of Object.entries(names)) {
      for (const spelling of spellings) {
        const value = search.get(spelling);
        if (value !== null) {
          out[field] = value;
          break;
        }
      }
    }
    return out;
  }
  const contentType = request.headers.get("content-type") ?? "";
  if (contentType && !/^application\/json\b/i.test(contentType) && !/^text\/plain\b/i.test(contentType)) {
    const type = contentType.split(";")[0];
    throw new ApiError(415, "BAD_REQUEST", `send the body as application/json, not ${type}`, { key: "BAD_REQUEST.content_type", params: { type } });
  }
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) throw tooLarge();
  const text = await readCapped(request);
  if (text.trim() === "") throw new ApiError(400, "BAD_REQUEST", "the request body is empty; send a JSON object such as {\"query\":\"nginx\"}", { key: "BAD_REQUEST.empty_body" });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ApiError(400, "BAD_REQUEST", `the request body is not valid JSON (${detail})`, { key: "BAD_REQUEST.not_json", params: { detail } });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "BAD_REQUEST", "the request body must be a JSON object", { key: "BAD_REQUEST.not_object" });
  }
  const object = value as Params;
  const known = new Set(Object.keys(names));
  const unknown = Object.keys(object).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    const params = { fields: unknown.map((k) => JSON.stringify(k)).join(", "), known: [...known].join(", ") };
    throw new ApiError(400, "BAD_REQUEST", `unknown field${unknown.length > 1 ? "s" : ""} ${params.fields}; this endpoint takes ${params.known}`, { key: "BAD_REQUEST.unknown_fields", params });
  }
  return object;
}

async function readCapped(request: Request): Promise<string> {
  try {
    return new TextDecoder().decode(await readBody(request, MAX_BODY_BYTES));
  } catch (error) {
    throw error instanceof RangeError ? tooLarge() : error;
  }
}

function tooLarge(): ApiError {
  return new ApiError(413, "BAD_REQUEST", `the request body is larger than ${MAX_BODY_BYTES} bytes`, { key: "BAD_REQUEST.too_big", params: { limit: String(MAX_BODY_BYTES) } });
}

/** A required, trimmed, single-line text of bounded length. */
export function requireText(params: Params, field: string, what: string, maxLength: number): string {
  const value = params[field];
  // `what` words the field for the English message; the key's wording names the field.
  const refuse = (message: string, key: string, more: Record<string, string> = {}) => new ApiError(400, "BAD_REQUEST", message, { key, params: { field, ...more } });
  if (value === undefined || value === null) throw refuse(`${what} is missing: give "${field}"`, "BAD_REQUEST.missing");
  if (typeof value !== "string") throw refuse(`"${field}" must be a string`, "BAD_REQUEST.not_string");
  const text = value.trim();
  if (text === "") throw refuse(`${what} is empty`, "BAD_REQUEST.empty");
  if (text.length > maxLength) throw refuse(`${what} is ${text.length} characters long; the limit is ${maxLength}`, "BAD_REQUEST.too_long", { length: String(text.length), limit: String(maxLength) });
  if (/[\u0000-\u001f\u007f]/.test(text)) throw refuse(`${what} contains control characters`, "BAD_REQUEST.control");
  return text;
}

/** Like requireText, but absent or empty means undefined. */
export function optionalText(params: Params, field: string, what: string, maxLength: number): string | undefined {
  const value = params[field];
  if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return undefined;
  return requireText(params, field, what, maxLength);
}

/** An optional whole number in [min, max]; strings of digits (query parameters) count. */
export function optionalInt(params: Params, field: string, fallback: number, min: number, max: number): number {
  const value = params[field];
  if (value === undefined || value === null || value === "") return fallback;
  const n = typeof value === "number" ? value : typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) {
    const got = JSON.stringify(value);
    throw new ApiError(400, "BAD_REQUEST", `"${field}" must be a whole number, got ${got}`, { key: "BAD_REQUEST.not_whole", params: { field, value: got } });
  }
  if (n < min || n > max) {
    throw new ApiError(400, "BAD_REQUEST", `"${field}" must be between ${min} and ${max}, got ${n}`, { key: "BAD_REQUEST.out_of_range", params: { field, min: String(min), max: String(max), value: String(n) } });
  }
  return n;
}
