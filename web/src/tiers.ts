// The tiers as GET /api/v1/tiers gives them (the operator may change them: never written here).
export const TIERS = '/api/v1/tiers';

export interface Tier {
  name: string;
  /** Higher gives more; null: outside the order. */
  rank: number | null;
  requests_per_minute: number;
  requests_per_day: number;
  lookback_days: number;
  max_limit: number;
  formats: string[];
  scopes: string[];
}
