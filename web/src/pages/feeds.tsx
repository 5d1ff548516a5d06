// The sources (GET /api/v1/sources): each feed and article site with its health and the cause in
// words, its runs, schedule and records, problems first. An admin enables, disables or runs one
// now from its row. The filters live in the URL, so that a view of the problems can be shared.
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, call, withQuery } from '../api';
import { ScrollBox } from '../components/scroll-box';
import { Empty, ErrorNote, Loading } from '../components/status';
import { Time } from '../components/time';
import { count } from '../format';
import { useApi, useTitle } from '../hooks';
import { useSession } from '../session';

type Health = 'healthy' | 'degraded' | 'error';
const HEALTH: Health[] = ['error', 'degraded', 'healthy'];

interface SourceRun {
  started_at: string;
  outcome: 'ok' | 'not_modified' | 'failed' | 'skipped';
  http_status: number | null;
  error: string | null;
  new: number;
  updated: number;
}

interface Source {
  name: string;
  kind: string;
  category: string;
  enabled: boolean;
  interval_seconds: number | null;
  credentials: { env: string; set: boolean } | null;
  health: { status: Health; reason: string | null };
  last_run_at: string | null;
  last_success_at: string | null;
  last_new_at: string | null;
  records: number;
  last_run: SourceRun | null;
}

/** Problems first: enabled sources in error, then degraded, then healthy; disabled ones last. */
function rank(s: Source): number {
  return s.enabled ? HEALTH.indexOf(s.health.status) : HEALTH.length;
}

function every(seconds: number | null): string {
  if (!seconds) return 'by hand only';
  for (const [size, unit] of [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
  ] as const) {
    if (seconds % size === 0) return `every ${seconds / size} ${unit}`;
  }
  return `every ${seconds} s`;
}

function runSummary(run: SourceRun): string {
  switch (run.outcome) {
    case 'ok':
      return `${count(run.new)} new, ${count(run.updated)} updated`;
    case 'not_modified':
      return 'not modified';
    case 'failed':
      return run.http_status ? `failed (HTTP ${run.http_status})` : 'failed';
    case 'skipped':
      return 'skipped: another run held it';
  }
}

const FILTERS = ['health', 'state', 'category'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

function matches(s: Source, f: Filters): boolean {
  return (
    (!f.health || s.health.status === f.health) &&
    (!f.state || (f.state === 'enabled') === s.enabled) &&
    (!f.category || s.category === f.category)
  );
}

export function Feeds() {
  const { query, route } = useLocation();
  const me = useSession().me!;
  const list = useApi<{ data: Source[] }>('/api/v1/sources');
  useTitle('Feeds');
  const filters = Object.fromEntries(FILTERS.map((name) => [name, query[name] ?? ''])) as Filters;
  // A row changed by an action shows the source as the server answered it, until the next load.
  const [changed, setChanged] = useState<Map<string, Source>>(new Map());
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState<string>();
  // After "Run now" (answered at once), the list is loaded again until the run shows.
  const [watch, setWatch] = useState<{ name: string; before?: string; tries: number }>();
  useEffect(() => setChanged(new Map()), [list.data]);
  useEffect(() => {
    if (!watch || !list.data) return;
    const row = list.data.data.find((s) => s.name === watch.name);
    if (row?.last_run && row.last_run.started_at !== watch.before) {
      setStatus(`The run of "${row.name}" finished: ${runSummary(row.last_run)}.`);
      setWatch(undefined);
      return;
    }
    if (watch.tries >= 20) {
      setStatus(`The run of "${watch.name}" has not finished yet: its outcome will show here once the page is loaded again.`);
      setWatch(undefined);
      return;
    }
    const timer = setTimeout(() => {
      setWatch({ ...watch, tries: watch.tries + 1 });
      list.reload();
    }, 1500);
    return () => clearTimeout(timer);
  }, [watch, list.data]);

  const act = async (source: Source, action: 'enable' | 'disable' | 'run') => {
    setBusy(source.name);
    setError(undefined);
    setStatus('');
    try {
      const path = `/api/v1/sources/${encodeURIComponent(source.name)}/${action}`;
      if (action === 'run') {
        const { body } = await call<{ data: { source: Source } }>(withQuery(path, { wait: false }), { method: 'POST' });
        setChanged(new Map(changed).set(source.name, body.data.source));
        setStatus(`A run of "${source.name}" started; its outcome will show here.`);
        setWatch({ name: source.name, before: source.last_run?.started_at, tries: 0 });
      } else {
        const { body } = await call<{ data: Source }>(path, { method: 'POST' });
        setChanged(new Map(changed).set(source.name, body.data));
        setStatus(`"${source.name}" ${action}d.`);
      }
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'client', String(err)));
    } finally {
      setBusy(undefined);
    }
  };

  const sources = (list.data?.data ?? []).map((s) => changed.get(s.name) ?? s);
  const shown = sources.filter((s) => matches(s, filters)).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const categories = [...new Set(sources.map((s) => s.category))].sort();
  const tally = (health: Health) => sources.filter((s) => s.health.status === health).length;

  return (
    <main id="main" class="feeds-page">
      <h1>Feeds</h1>
      <p class="muted intro">Every source this service reads, IOC feeds and article sites, with its health: problems first.</p>
      {list.error ? (
        <ErrorNote error={list.error} />
      ) : !list.data ? (
        <Loading what="Loading the sources" />
      ) : (
        <>
          <ul class="tiles feed-tiles" aria-label="Summary">
            <li class="tile">
              <span class="label">Sources</span>
              <span class="value">{count(sources.length)}</span>
            </li>
            {HEALTH.map((health) => (
              <li class={`tile ${health}`} key={health}>
                <span class="label">{health[0]!.toUpperCase() + health.slice(1)}</span>
                <span class="value">{count(tally(health))}</span>
              </li>
            ))}
            <li class="tile">
              <span class="label">Disabled</span>
              <span class="value">{count(sources.filter((s) => !s.enabled).length)}</span>
            </li>
          </ul>
          <FeedFilters filters={filters} categories={categories} onApply={(f) => route(withQuery('/feeds', f))} />
          <p class="action-status" role="status">
            {status}
          </p>
          {error && <ErrorNote error={error} title="The action failed" />}
          {shown.length === 0 ? (
            <Empty>No source matches these filters.</Empty>
          ) : (
            <ScrollBox label="Sources">
              <table class="feed-table" aria-busy={list.loading ? 'true' : undefined}>
                <caption class="visually-hidden">Sources, problems first</caption>
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col">Health</th>
                    <th scope="col">State</th>
                    <th scope="col">Last run</th>
                    <th scope="col">Last success</th>
                    <th scope="col">Last new</th>
                    <th scope="col">Schedule</th>
                    <th scope="col" class="num">
                      Records
                    </th>
                    {me.admin && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {shown.map((s) => (
                    <SourceRow key={s.name} source={s} admin={me.admin} busy={busy === s.name} act={act} />
                  ))}
                </tbody>
              </table>
            </ScrollBox>
          )}
        </>
      )}
    </main>
  );
}

function FeedFilters({ filters, categories, onApply }: { filters: Filters; categories: string[]; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(filters);
  // Back and forward change the URL: the form shows the filters of the page shown.
  const key = JSON.stringify(filters);
  useEffect(() => setDraft(filters), [key]);
  const select = (name: keyof Filters, label: string, options: [string, string][]) => (
    <div>
      <label for={`feeds-${name}`}>{label}</label>
      <select id={`feeds-${name}`} value={draft[name]} onChange={(e) => setDraft({ ...draft, [name]: (e.target as HTMLSelectElement).value })}>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form
      class="filters feed-filters"
      aria-label="Filter the sources"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      {select('health', 'Health', [['', 'Any health'], ...HEALTH.map((h): [string, string] => [h, h])])}
      {select('state', 'State', [
        ['', 'Enabled or not'],
        ['enabled', 'enabled'],
        ['disabled', 'disabled'],
      ])}
      {select('category', 'Category', [['', 'All categories'], ...categories.map((c): [string, string] => [c, c])])}
      <div class="buttons">
        <button type="submit">Apply</button>
        <a href="/feeds">Clear</a>
      </div>
    </form>
  );
}

function SourceRow({ source: s, admin, busy, act }: { source: Source; admin: boolean; busy: boolean; act: (s: Source, action: 'enable' | 'disable' | 'run') => void }) {
  const run = s.last_run;
  // The reason usually quotes the last error; it is said again only when it does not.
  const lastError = run?.outcome === 'failed' && run.error && !s.health.reason?.includes(run.error) ? run.error : undefined;
  return (
    <tr class={s.enabled ? undefined : 'disabled'}>
      <th scope="row" class="name">
        <span class="source-name">{s.name}</span>
        <span class="muted">
          {s.kind} · {s.category}
        </span>
      </th>
      <td class="health">
        <span class={`badge ${s.health.status}`}>{s.health.status}</span>
        {s.health.reason && <span class="reason">{s.health.reason}</span>}
        {lastError && <span class="reason">Last error: {lastError}</span>}
        {s.credentials && !s.credentials.set && (
          <span class="reason muted">
            Its credential is not set (<code>{s.credentials.env}</code>).
          </span>
        )}
      </td>
      <td>{s.enabled ? 'enabled' : <span class="badge neutral">disabled</span>}</td>
      <td class="run">
        <Time iso={run?.started_at ?? s.last_run_at} />
        {run && <span class="muted">{runSummary(run)}</span>}
      </td>
      <td class="when">
        <Time iso={s.last_success_at} />
      </td>
      <td class="when">
        <Time iso={s.last_new_at} />
      </td>
      <td class="schedule">{every(s.interval_seconds)}</td>
      <td class="num">{count(s.records)}</td>
      {admin && (
        <td class="row-actions">
          {/* The source's name completes each button's name, for a screen reader's list of buttons. */}
          <button type="button" class="secondary" disabled={busy} onClick={() => act(s, s.enabled ? 'disable' : 'enable')}>
            {s.enabled ? 'Disable' : 'Enable'}
            <span class="visually-hidden"> {s.name}</span>
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => act(s, 'run')}>
            Run now<span class="visually-hidden"> {s.name}</span>
          </button>
        </td>
      )}
    </tr>
  );
}
