// Environment that keeps wrangler offline: no telemetry, no Cloudflare network lookups,
// no banner or update check. Used by `npm start`, the test harness and the benchmark.
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  NO_UPDATE_NOTIFIER: "1",
};
