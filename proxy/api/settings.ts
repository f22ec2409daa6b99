// The seed API's own settings, read from Worker vars beside proxy/config.ts's: how long
// Hub answers stay cached. Defaults are the lifetimes users were promised (search 5 min,
// popular 1 h, details 30 min); operators may shorten or lengthen them.
import type { Vars } from "../config.ts";
import { ApiError } from "./errors.ts";

export interface ApiEnv extends Vars {
  CACHE?: R2Bucket;
  SEARCH_TTL?: string;
  POPULAR_TTL?: string;
  DETAILS_TTL?: string;
}

export interface ApiSettings {
  searchTtlMs: number;
  popularTtlMs: number;
  detailsTtlMs: number;
}

const cache = new WeakMap<object, ApiSettings>();

export function loadApiSettings(env: ApiEnv): ApiSettings {
  const hit = cache.get(env);
  if (hit) return hit;
  const settings: ApiSettings = {
    searchTtlMs: seconds(env.SEARCH_TTL, 300, "SEARCH_TTL") * 1000,
    popularTtlMs: seconds(env.POPULAR_TTL, 3600, "POPULAR_TTL") * 1000,
    detailsTtlMs: seconds(env.DETAILS_TTL, 1800, "DETAILS_TTL") * 1000,
  };
  cache.set(env, settings);
  return settings;
}

function seconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new ApiError(500, "MISCONFIGURED", `${name} must be a non-negative number of seconds, got "${value}"`);
  }
  return n;
}
