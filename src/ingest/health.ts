// Feed health from a source's recent runs, with the cause in words:
// - error: the last runs (two or more in a row) failed;
// - degraded: a recent failure, or nothing new for longer than the source's stale_after;
// - healthy otherwise.
export type Health = 'healthy' | 'degraded' | 'error';

export interface RunResult {
  outcome: 'ok' | 'not_modified' | 'failed' | 'skipped';
  error?: string | null;
  finishedAt: Date;
}

export interface HealthInput {
  /** Newest first; the last five are enough. */
  recentRuns: RunResult[];
  consecutiveFailures: number;
  /** When a run last brought new IOCs (or articles). */
  lastNewAt?: Date | null;
  staleAfterSeconds?: number | null;
  now: Date;
}

export interface HealthAssessment {
  health: Health;
  reason: string | null;
}

const RECENT = 5;

function ago(from: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - from.getTime()) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

export function assessHealth(input: HealthInput): HealthAssessment {
  const runs = input.recentRuns.filter((run) => run.outcome !== 'skipped').slice(0, RECENT);
  const last = runs[0];
  if (!last) return { health: 'healthy', reason: 'not run yet' };
  if (input.consecutiveFailures >= 2) {
    return { health: 'error', reason: `the last ${input.consecutiveFailures} runs failed: ${last.error ?? 'unknown error'}` };
  }
  if (last.outcome === 'failed') return { health: 'degraded', reason: `the last run failed: ${last.error ?? 'unknown error'}` };
  const failed = runs.filter((run) => run.outcome === 'failed');
  if (failed.length > 0) {
    return {
      health: 'degraded',
      reason: `${failed.length} of the last ${runs.length} runs failed, the latest ${ago(failed[0]!.finishedAt, input.now)} ago: ${failed[0]!.error ?? 'unknown error'}`,
    };
  }
  if (input.staleAfterSeconds) {
    // Never anything new: count from the oldest run we know of.
    const since = input.lastNewAt ?? runs[runs.length - 1]!.finishedAt;
    if (input.now.getTime() - since.getTime() > input.staleAfterSeconds * 1000) {
      return {
        health: 'degraded',
        reason: `nothing new for ${ago(since, input.now)} (expected within ${ago(new Date(input.now.getTime() - input.staleAfterSeconds * 1000), input.now)})`,
      };
    }
  }
  return { health: 'healthy', reason: null };
}
