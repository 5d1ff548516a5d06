// The overview: the cached statistics (tiles, the week's trend per type, top ATT&CK techniques) and
// the newest high-confidence IOCs. The statistics are recomputed on the server every few minutes;
// the page asks again when the next document is due, never on a fixed beat. A key without
// read:stats (the free tier, 10 requests a minute) gets what it may see, in two calls, no polling.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from '../api';
import { typeLabel } from '../components/ioc-labels';
import { ArticleLink, IocLink } from '../components/links';
import { Sparkline } from '../components/sparkline';
import { Empty, ErrorNote, Loading } from '../components/status';
import { Time } from '../components/time';
import { ago, count, dateTime } from '../format';
import { useApi, useTitle, type Loaded } from '../hooks';
import { session, type Me } from '../session';
import { TIERS, type Tier } from '../tiers';

interface Stats {
  meta: { cache_updated_at: string; refresh_interval_seconds: number };
  data: {
    totalIOCs: number;
    totalArticles: number;
    byType: Record<string, number>;
    last24h: { newIOCs: number; newArticles: number; byType: Record<string, number> };
    last7d: {
      newIOCs: number;
      newArticles: number;
      trend: number[];
      direction: 'up' | 'down' | 'stable';
      trendByType: Record<string, number[]>;
    };
    feedHealth: { total: number; healthy: number; degraded: number; error: number };
    topMitreTechniques: { id: string; name: string | null; count: number }[];
  };
}

interface IocRecord {
  id: string;
  type: string;
  value: string;
  last_seen: string;
  source: { article_id: string | null; article_title: string | null; feed_name: string };
}

interface IocList {
  data: IocRecord[];
}

/** GET /api/v1/me as it is now: the session's copy plus the rate limit after this request. */
interface MeNow {
  data: Me & { rate_limit: { limit: number; remaining: number; reset_at: string; day_limit: number; day_remaining: number } };
}

const STATS = '/api/v1/iocs/stats';
const NEWEST = '/api/v1/iocs?confidence=high&limit=10';

// The server re-reads its cache every 15 s: asking more often than that can bring nothing new.
const MIN_GAP_MS = 15_000;
// Past the due time, so that the new document has reached the instance that answers.
const SLACK_MS = 5_000;
// After a failure worth retrying (network, 429, 5xx).
const RETRY_MS = 60_000;

export function Overview() {
  useTitle('Overview');
  return <main id="main" class="overview">{session.can('read:stats') ? <StatsOverview /> : <LimitedOverview />}</main>;
}

/** The last answer that succeeded: a failed refresh leaves the page as it was, with a note. */
function useLastGood<T>(loaded: Loaded<T>): { data: T; headers: Headers } | undefined {
  const last = useRef<{ data: T; headers: Headers } | undefined>(undefined);
  if (loaded.data && loaded.headers) last.current = { data: loaded.data, headers: loaded.headers };
  return last.current;
}

/** Re-renders every `ms`, for the "3 min ago" texts. */
function useTick(ms: number): void {
  const [, setNow] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
}

function StatsOverview() {
  const stats = useApi<Stats>(STATS);
  const newest = useApi<IocList>(session.can('read:iocs') ? NEWEST : undefined);
  const shown = useLastGood(stats);
  const updatedAt = shown?.headers.get('X-Cache-Updated-At') ?? undefined;
  const interval = Number(shown?.headers.get('X-Cache-Refresh-Seconds') ?? shown?.data.meta.refresh_interval_seconds);
  const nextAt = updatedAt && Number.isFinite(interval) ? Date.parse(updatedAt) + interval * 1000 : undefined;

  // The next request when the server will have the next document; a new answer schedules the one after.
  useEffect(() => {
    let wait: number | undefined;
    if (stats.error) wait = retryable(stats.error) ? RETRY_MS : undefined;
    else if (stats.headers) wait = Math.max(MIN_GAP_MS, (nextAt ?? 0) + SLACK_MS - Date.now());
    if (wait === undefined) return;
    const timer = setTimeout(stats.reload, wait);
    return () => clearTimeout(timer);
  }, [stats.headers, stats.error]);

  // The newest IOCs move with the statistics: asked again when a new document arrives.
  const seen = useRef(updatedAt);
  useEffect(() => {
    if (seen.current && updatedAt !== seen.current) newest.reload();
    seen.current = updatedAt;
  }, [updatedAt]);

  if (!shown) {
    return (
      <>
        <h1>Overview</h1>
        {stats.error ? <ErrorNote error={stats.error} title="The statistics could not be loaded" /> : <Loading what="Loading the statistics" />}
      </>
    );
  }
  const { data } = shown.data;
  return (
    <>
      <div class="overview-head">
        <h1>Overview</h1>
        {updatedAt && <Freshness updatedAt={updatedAt} nextAt={nextAt} stale={shown.headers.get('X-Cache-Stale') === 'true'} />}
      </div>
      {stats.error && <ErrorNote error={stats.error} title="The statistics could not be refreshed" />}
      <Tiles data={data} />
      <div class="overview-grid">
        <Trends data={data} />
        <Techniques techniques={data.topMitreTechniques} />
      </div>
      <Newest loaded={newest} />
    </>
  );
}

function retryable(error: ApiError): boolean {
  return error.status === 0 || error.status === 429 || error.status >= 500;
}

function Freshness({ updatedAt, nextAt, stale }: { updatedAt: string; nextAt: number | undefined; stale: boolean }) {
  useTick(30_000);
  const next = nextAt && nextAt > Date.now() ? ago(new Date(nextAt).toISOString()) : undefined;
  return (
    <p class="freshness muted">
      Updated <Time iso={updatedAt} /> <span class="exact">({dateTime(updatedAt)})</span>
      {stale ? (
        <span class="badge warn">late: a refresh was missed</span>
      ) : (
        <span class="next">{next ? `· next refresh ${next}` : '· refreshing shortly'}</span>
      )}
    </p>
  );
}

function Tiles({ data }: { data: Stats['data'] }) {
  const feeds = data.feedHealth;
  return (
    <ul class="tiles overview-tiles" aria-label="Totals">
      <li class="tile">
        <span class="label">Total IOCs</span>
        <span class="value">{count(data.totalIOCs)}</span>
        <span class="detail">{count(data.last7d.newIOCs)} in the last 7 days</span>
      </li>
      <li class="tile">
        <span class="label">New in 24 h</span>
        <span class="value">{count(data.last24h.newIOCs)}</span>
        <span class="detail">IOC records stored</span>
      </li>
      <li class="tile">
        <span class="label">Articles</span>
        <span class="value">{count(data.totalArticles)}</span>
        <span class="detail">{count(data.last24h.newArticles)} new in 24 h</span>
      </li>
      <li class="tile feeds-tile">
        <span class="label">
          <a href="/feeds">Feeds</a>
        </span>
        <span class="value">
          {count(feeds.healthy)} <span class="unit">of {count(feeds.total)} healthy</span>
        </span>
        <span class="detail">
          <span class={`badge ${feeds.degraded ? 'degraded' : 'neutral'}`}>{count(feeds.degraded)} degraded</span>{' '}
          <span class={`badge ${feeds.error ? 'error' : 'neutral'}`}>{count(feeds.error)} error</span>
        </span>
      </li>
    </ul>
  );
}

const DIRECTIONS = {
  up: { arrow: '▲', text: 'Up on the week before' },
  down: { arrow: '▼', text: 'Down on the week before' },
  stable: { arrow: '▶', text: 'Stable: within 10% of the week before' },
};

function Trends({ data }: { data: Stats['data'] }) {
  const week = data.last7d;
  const direction = DIRECTIONS[week.direction];
  // The types with records this week, most first; the others named in one line.
  const totals = Object.entries(week.trendByType).map(([type, days]) => ({ type, days, total: days.reduce((a, b) => a + b, 0) }));
  const active = totals.filter((t) => t.total > 0).sort((a, b) => b.total - a.total || a.type.localeCompare(b.type));
  const idle = totals.filter((t) => t.total === 0);
  return (
    <section class="panel trends" aria-labelledby="trends-heading">
      <h2 id="trends-heading">Last seven days</h2>
      <div class="total-trend">
        <div>
          <span class="big">{count(week.newIOCs)}</span> IOC records
          <p class={`direction ${week.direction}`}>
            <span aria-hidden="true">{direction.arrow}</span> {direction.text}
          </p>
        </div>
        <Sparkline values={week.trend} label="All IOC records stored each day of the last 7, oldest first" large />
      </div>
      {active.length === 0 ? (
        <Empty>No IOC was stored in the last seven days.</Empty>
      ) : (
        <table class="by-type">
          <caption class="visually-hidden">IOC records stored each day of the last seven, by type</caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Trend</th>
              <th scope="col" class="num">Week</th>
              <th scope="col" class="num">24 h</th>
            </tr>
          </thead>
          <tbody>
            {active.map(({ type, days, total }) => (
              <tr key={type}>
                <th scope="row">{typeLabel(type)}</th>
                <td class="spark-cell">
                  <Sparkline values={days} label={`${typeLabel(type)}, each day of the last 7, oldest first`} />
                </td>
                <td class="num">{count(total)}</td>
                <td class="num">{count(days[days.length - 1])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {idle.length > 0 && <p class="muted idle">Nothing new: {idle.map((t) => typeLabel(t.type)).join(', ')}.</p>}
    </section>
  );
}

function Techniques({ techniques }: { techniques: Stats['data']['topMitreTechniques'] }) {
  const max = Math.max(1, ...techniques.map((t) => t.count));
  return (
    <section class="panel techniques" aria-labelledby="techniques-heading">
      <h2 id="techniques-heading">Top ATT&CK techniques</h2>
      {techniques.length === 0 ? (
        <Empty>No record names an ATT&CK technique yet.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Technique</th>
              <th scope="col">Name</th>
              <th scope="col" class="num">Records</th>
            </tr>
          </thead>
          <tbody>
            {techniques.map((t) => (
              <tr key={t.id}>
                <td>
                  <IocLink value={t.id} />
                </td>
                <td class="name">{t.name ?? <span class="muted">(not in our ATT&CK release)</span>}</td>
                <td class="num">
                  {count(t.count)}
                  {/* A bar for the eye; the number beside it says the same. */}
                  <svg class="share" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true">
                    <rect width={(100 * t.count) / max} height="4" />
                  </svg>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Newest({ loaded, lookbackDays }: { loaded: Loaded<IocList>; lookbackDays?: number }) {
  return (
    <section class="panel newest" aria-labelledby="newest-heading">
      <h2 id="newest-heading">Newest high-confidence IOCs</h2>
      {lookbackDays !== undefined && (
        <p class="muted">
          Stored in the last {count(lookbackDays)} day{lookbackDays === 1 ? '' : 's'}, your tier's lookback.
        </p>
      )}
      {loaded.error ? (
        <ErrorNote error={loaded.error} title="The newest IOCs could not be loaded" />
      ) : !loaded.data ? (
        !session.can('read:iocs') ? <Empty>This key may not list IOCs (it lacks the read:iocs scope).</Empty> : <Loading what="Loading the newest IOCs" />
      ) : loaded.data.data.length === 0 ? (
        <Empty>No high-confidence IOC yet.</Empty>
      ) : (
        <table class="newest-table">
          <thead>
            <tr>
              <th scope="col">Value</th>
              <th scope="col">Type</th>
              <th scope="col">Source</th>
              <th scope="col">Article</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.data.map((r) => (
              <tr key={r.id}>
                <td class="value">
                  <IocLink value={r.value} />
                </td>
                <td data-label="Type">{typeLabel(r.type)}</td>
                <td data-label="Source">{r.source.feed_name}</td>
                <td data-label="Article">
                  {r.source.article_id ? <ArticleLink id={r.source.article_id} title={r.source.article_title ?? ''} /> : <span class="muted">–</span>}
                </td>
                <td data-label="Last seen">
                  <Time iso={r.last_seen} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** What a key without read:stats may see: its own limits and the newest IOCs of its lookback. */
function LimitedOverview() {
  // The session's /me is from sign-in; this one has today's usage and this minute's rate limit.
  const now = useApi<MeNow>('/api/v1/me');
  const newest = useApi<IocList>(session.can('read:iocs') ? NEWEST : undefined);
  const tiers = useApi<{ data: Tier[] }>(TIERS);
  const key = now.data?.data ?? session.state().me;
  if (!key) return <Loading />;
  const { tier } = key;
  const rate = now.data?.data.rate_limit;
  return (
    <>
      <h1>Overview</h1>
      <div class="overview-grid">
        <section class="panel" aria-labelledby="key-heading">
          <h2 id="key-heading">Your key</h2>
          <dl class="facts">
            <dt>Tier</dt>
            <dd class="tier">{tier.name}</dd>
            <dt>Rate limit</dt>
            <dd>
              {count(tier.requests_per_minute)} requests a minute
              {rate && ` (${count(rate.remaining)} left this minute)`}
            </dd>
            <dt>Today</dt>
            <dd>
              {count(key.usage.today)} of {count(tier.requests_per_day)} requests
            </dd>
            <dt>This month</dt>
            <dd>{count(key.usage.month)} requests</dd>
            <dt>Lookback</dt>
            <dd>
              {count(tier.lookback_days)} day{tier.lookback_days === 1 ? '' : 's'}
            </dd>
            <dt>Export formats</dt>
            <dd>{key.formats.map((f) => f.toUpperCase()).join(', ')}</dd>
          </dl>
          {now.error && <ErrorNote error={now.error} title="Your key's usage could not be loaded" />}
        </section>
        <Upgrade tiers={tiers.data?.data} me={key} />
      </div>
      <Newest loaded={newest} lookbackDays={tier.lookback_days} />
    </>
  );
}

/** What the next tiers up (by rank, as the server's tiers table has them) add to the key's. */
function Upgrade({ tiers, me: mine }: { tiers: Tier[] | undefined; me: Me }) {
  const own = tiers?.find((tier) => tier.name === mine.tier.name);
  const higher = (tiers ?? []).filter((tier) => tier.rank !== null && own?.rank != null && tier.rank > own.rank);
  if (!tiers || higher.length === 0) return null;
  const formats = (list: string[]) => list.map((f) => f.toUpperCase()).join(', ');
  return (
    <section class="panel upgrade" aria-labelledby="upgrade-heading">
      <h2 id="upgrade-heading">What a higher tier adds</h2>
      {higher.map((tier) => (
        <div key={tier.name}>
          <h3 class="tier">{tier.name}</h3>
          <ul>
            {tier.scopes.includes('read:stats') && !mine.scopes.includes('read:stats') && (
              <li>
                <strong>Statistics and trends</strong>: totals, the seven-day trend of each IOC type, top ATT&CK techniques and feed
                health, on this page.
              </li>
            )}
            {tier.lookback_days > mine.tier.lookback_days && (
              <li>
                <strong>A longer lookback</strong>: {count(tier.lookback_days)} days of IOCs rather than {count(mine.tier.lookback_days)}.
              </li>
            )}
            {tier.formats.some((f) => !mine.formats.includes(f)) && (
              <li>
                <strong>More export formats</strong>: {formats(tier.formats)} (yours: {formats(mine.formats)}).
              </li>
            )}
            {tier.requests_per_minute > mine.tier.requests_per_minute && (
              <li>
                <strong>More requests</strong>: {count(tier.requests_per_minute)} a minute and {count(tier.requests_per_day)} a day,
                rather than {count(mine.tier.requests_per_minute)} and {count(mine.tier.requests_per_day)}.
              </li>
            )}
          </ul>
        </div>
      ))}
      <p class="muted">Ask the administrator of this service for a key of a higher tier.</p>
    </section>
  );
}
