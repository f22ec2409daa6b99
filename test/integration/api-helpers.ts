// Helpers shared by the seed API suites: JSON calls to the Worker and a view of the
// requests the fake Hub received, to tell cache hits from misses.
import { expect } from "vitest";
import type { ApiErrorBody } from "../../shared/seed-api.ts";

export async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: T }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`${url} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

export function postJson<T>(url: string, body: unknown): Promise<{ status: number; headers: Headers; body: T }> {
  return getJson<T>(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

export async function hubRequests(hubApi: string, pathPrefix: string): Promise<{ path: string; query: Record<string, string> }[]> {
  const { body } = await getJson<{ requests: { path: string; query: Record<string, string> }[] }>(`${hubApi}/__fake/requests`);
  return body.requests.filter((r) => r.path.startsWith(pathPrefix));
}

export async function expectApiError(response: Promise<{ status: number; body: unknown }>, status: number, code: string, messagePart?: string) {
  const { status: actual, body } = await response;
  expect(actual, JSON.stringify(body)).toBe(status);
  const error = (body as ApiErrorBody).error;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe("string");
  // The key the web app words it from: the code's own, or one of its wordings; the names in params.
  expect(error.key === code || error.key.startsWith(`${code}.`), error.key).toBe(true);
  expect(error.params).toBeTypeOf("object");
  if (messagePart) expect(error.message).toContain(messagePart);
  return body as ApiErrorBody;
}
