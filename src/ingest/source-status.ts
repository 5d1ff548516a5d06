// A source as users see it (socd sources list --json, GET /api/v1/sources): its description,
// health with the cause in words, and its last run. Whether a credential is set is said; its
// value never is.
import type { SourceStatus } from '../store/sources.js';

/** What a user needs to know of a source, in the shape GET /api/v1/sources gives it. */
export function describeSource(s: SourceStatus, env: Record<string, string | undefined> = process.env) {
  return {
    name: s.name,
    kind: s.kind,
    url: s.url,
    category: s.category,
    enabled: s.enabled,
    origin: s.origin,
    interval_seconds: s.interval_seconds,
    stale_after_seconds: s.stale_after_seconds,
    credentials: s.auth_env ? { header: s.auth_header, env: s.auth_env, set: Boolean(env[s.auth_env]) } : null,
    health: { status: s.health, reason: s.health_reason },
    last_run_at: s.last_run_at,
    last_success_at: s.last_success_at,
    last_new_at: s.last_new_at,
    records: s.records,
    last_run: s.last_run,
  };
}

