// The IOC list (GET /api/v1/iocs), newest first: its filters as a form, the records as a table,
// paged with the API's cursor, and a download of the same filters in each export format the
// key's tier allows. The filters and the page live in the URL, so that back, forward, reload and
// a shared link all show the same page.
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, download, withQuery } from '../api';
import { hasGet, queryValues, useApiDocument, type ApiDocument } from '../components/api-schema';
import { ConfidenceBadge, typeLabel } from '../components/ioc-labels';
import { ArticleLink, IocLink } from '../components/links';
import { ScrollBox } from '../components/scroll-box';
import { Empty, ErrorNote, Loading } from '../components/status';
import { Time } from '../components/time';
import { count, dateTime } from '../format';
import { useApi, useTitle } from '../hooks';
import { useSession, type Me } from '../session';

const LIST = '/api/v1/iocs';
const FILTERS = ['type', 'category', 'confidence', 'industry', 'since', 'until', 'include_expired', 'limit'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Record<Filter, string>;

interface IocRecord {
  id: string;
  type: string;
  value: string;
  confidence: string;
  first_seen: string;
  last_seen: string;
  source: { article_id: string | null; article_title: string | null; feed_name: string; category: string };
  context?: string | null;
}

interface IocList {
  meta: { total: number; total_exact: boolean; filters: Record<string, string>; notices?: string[] };
  data: IocRecord[];
  links: { next?: string; prev?: string };
}

/** The exports served at routes of their own, beside the list's `format` values, and the scope each needs. */
const ROUTE_EXPORTS = [
  { format: 'stix', path: '/api/v1/iocs/stix', scope: 'read:stix' },
  { format: 'sigma', path: '/api/v1/rules/sigma', scope: 'read:iocs' },
];

const FORMAT_LABELS: Record<string, string> = {
  json: 'JSON',
  csv: 'CSV',
  txt: 'Text',
  cef: 'CEF',
  openioc: 'OpenIOC',
  misp: 'MISP',
  stix: 'STIX 2.1',
  sigma: 'Sigma',
};

// "Next page" follows a cursor, which only leads forward: the page each page was reached from
// is kept (for the tab's life) for its "Previous page" link.
const cameFrom = new Map<string, string>();

function filtersOf(query: Record<string, string>): Filters {
  return Object.fromEntries(FILTERS.map((name) => [name, query[name] ?? ''])) as Filters;
}

/** The value of a parameter in one of the API's links. */
function linkParam(link: string | undefined, name: string): string | undefined {
  return link ? (new URL(link).searchParams.get(name) ?? undefined) : undefined;
}

export function Iocs() {
  const { query } = useLocation();
  const me = useSession().me!;
  const { doc, error: docError } = useApiDocument();
  const filters = filtersOf(query);
  const place = { cursor: query.cursor, offset: query.offset };
  const here = withQuery('/iocs', { ...filters, ...place });
  const list = useApi<IocList>(withQuery(LIST, { ...filters, ...place }));
  useTitle('IOCs');

  const nextCursor = linkParam(list.data?.links.next, 'cursor');
  const next = nextCursor && withQuery('/iocs', { ...filters, cursor: nextCursor });
  const prevOffset = linkParam(list.data?.links.prev, 'offset');
  const previous = cameFrom.get(here) ?? (prevOffset !== undefined ? withQuery('/iocs', { ...filters, offset: prevOffset }) : undefined);
  const first = withQuery('/iocs', filters);
  const filtered = FILTERS.some((name) => filters[name]);

  return (
    <main id="main" class="iocs-page">
      <h1>IOCs</h1>
      <p class="muted intro">Every IOC record, one per value and reporting source, newest first.</p>
      {docError && <ErrorNote error={docError} title="The filters' values could not be loaded" />}
      <IocFilters filters={filters} doc={doc} invalid={list.error?.param} />
      {list.error && (
        <div id="iocs-error">
          <ErrorNote error={list.error} />
        </div>
      )}
      <Downloads filters={filters} doc={doc} me={me} />
      {!list.error &&
        (!list.data ? (
          <Loading what="Loading the IOC records" />
        ) : (
          <section aria-labelledby="iocs-results" aria-busy={list.loading ? 'true' : undefined}>
            <h2 id="iocs-results" class="visually-hidden">
              Records
            </h2>
            <p class="total" role="status">
              <strong>
                {/* Not exact: a lower bound, while the full count is under way. */}
                {list.data.meta.total_exact ? '' : 'at least '}
                {count(list.data.meta.total)}
              </strong>{' '}
              {list.data.meta.total === 1 ? 'record matches' : 'records match'}, stored from {dateTime(list.data.meta.filters.since)} to{' '}
              {dateTime(list.data.meta.filters.until)}.
            </p>
            {list.data.meta.notices?.map((notice) => (
              <p class="note info" key={notice}>
                {notice}
              </p>
            ))}
            {list.data.data.length === 0 ? (
              <Empty>{place.cursor || place.offset ? 'No more records.' : filtered ? 'No record matches these filters.' : 'No record has been stored yet.'}</Empty>
            ) : (
              <RecordTable records={list.data.data} />
            )}
            <nav class="pager" aria-label="Pages">
              {previous ? (
                <a href={previous} rel="prev">
                  Previous page
                </a>
              ) : (
                (place.cursor || place.offset) && <a href={first}>First page</a>
              )}
              {next && (
                <a href={next} rel="next" onClick={() => cameFrom.set(next, here)}>
                  Next page
                </a>
              )}
            </nav>
          </section>
        ))}
    </main>
  );
}

function RecordTable({ records }: { records: IocRecord[] }) {
  return (
    <ScrollBox label="IOC records">
      <table class="ioc-table">
        <caption class="visually-hidden">IOC records, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Value</th>
            <th scope="col">Type</th>
            <th scope="col">Source</th>
            <th scope="col">Confidence</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col">Article</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.id}>
              <td class="value">
                <IocLink value={r.value} />
                {r.context && (
                  <span class="context" title={r.context}>
                    {r.context}
                  </span>
                )}
              </td>
              <td>{typeLabel(r.type)}</td>
              <td class="source">
                {r.source.feed_name}
                <span class="muted">{r.source.category}</span>
              </td>
              <td>
                <ConfidenceBadge confidence={r.confidence} />
              </td>
              <td>
                <Time iso={r.first_seen} />
              </td>
              <td>
                <Time iso={r.last_seen} />
              </td>
              <td class="article">{r.source.article_id ? <ArticleLink id={r.source.article_id} title={r.source.article_title ?? ''} /> : <span class="muted">–</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollBox>
  );
}

/** The choices of a select: the values the server's schema allows, and the URL's own if it is none of them. */
function choices(doc: ApiDocument | undefined, name: Filter, current: string): string[] {
  const values = doc ? queryValues(doc, LIST, name) : [];
  // `mitre-attack` is another spelling of `mitre_attack`: one choice for both.
  const distinct = values.filter((v) => !(v.includes('-') && values.includes(v.replace(/-/g, '_'))));
  return current && !distinct.includes(current) ? [current, ...distinct] : distinct;
}

function IocFilters({ filters, doc, invalid }: { filters: Filters; doc?: ApiDocument; invalid?: string }) {
  const { route } = useLocation();
  const [draft, setDraft] = useState(filters);
  // Back and forward change the URL: the form shows the filters of the page shown.
  const key = JSON.stringify(filters);
  useEffect(() => setDraft(filters), [key]);
  const field = (name: Filter) => ({
    id: `iocs-${name}`,
    name,
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
    // The parameter the server refused is marked, and points at its message.
    ...(invalid === name && { 'aria-invalid': true, 'aria-describedby': 'iocs-error' }),
  });
  const select = (name: Filter, label: string, any: string, show: (value: string) => string = (v) => v) => (
    <div>
      <label for={`iocs-${name}`}>{label}</label>
      <select {...field(name)}>
        <option value="">{any}</option>
        {choices(doc, name, draft[name]).map((value) => (
          <option key={value} value={value}>
            {show(value)}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form
      class="filters ioc-filters"
      role="search"
      aria-label="Filter the IOC records"
      // The server checks the values, and names the one it refuses.
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        route(withQuery('/iocs', Object.fromEntries(FILTERS.map((name) => [name, draft[name].trim()]))));
      }}
    >
      {select('type', 'Type', 'All types', typeLabel)}
      {select('category', 'Source category', 'All categories')}
      {select('confidence', 'Confidence', 'Any confidence')}
      <div>
        <label for="iocs-industry">Industry</label>
        <input type="text" {...field('industry')} placeholder="e.g. finance" spellcheck={false} />
      </div>
      <div>
        <label for="iocs-since">Stored since</label>
        <input type="text" {...field('since')} placeholder="2026-05-16" spellcheck={false} autocomplete="off" />
      </div>
      <div>
        <label for="iocs-until">Stored before</label>
        <input type="text" {...field('until')} placeholder="2026-05-17T12:00:00Z" spellcheck={false} autocomplete="off" />
      </div>
      <div>
        <label for="iocs-include_expired">Expired IOCs</label>
        <select {...field('include_expired')}>
          <option value="">Hidden (block-lists)</option>
          <option value="true">Shown</option>
        </select>
      </div>
      <div>
        <label for="iocs-limit">Per page</label>
        <input type="number" min={1} {...field('limit')} placeholder="100" />
      </div>
      <div class="buttons">
        <button type="submit">Apply</button>
        <a href="/iocs">Clear</a>
      </div>
    </form>
  );
}

interface Export {
  format: string;
  path: string;
  /** Why the key may not have it, or undefined. */
  refusal?: string;
}

/** Each export the server offers, and whether this key may have it. */
function exportsOf(doc: ApiDocument, me: Me): Export[] {
  const listed = queryValues(doc, LIST, 'format').map((format) => ({
    format,
    path: LIST,
    refusal: me.formats.includes(format) ? undefined : `Not on the ${me.tier.name} tier: it needs a higher tier.`,
  }));
  const routed = ROUTE_EXPORTS.filter((e) => hasGet(doc, e.path)).map((e) => ({
    format: e.format,
    path: e.path,
    refusal: me.scopes.includes(e.scope) ? undefined : `Needs the ${e.scope} scope, which the ${me.tier.name} tier does not have: it needs a higher tier.`,
  }));
  return [...listed, ...routed];
}

function Downloads({ filters, doc, me }: { filters: Filters; doc?: ApiDocument; me: Me }) {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<ApiError>();
  if (!doc) return null;
  const exports = exportsOf(doc, me);
  // A download is the filters' records from the newest, as many as the tier gives at once.
  const params = { ...filters, limit: me.tier.max_limit };
  const save = async (e: Export) => {
    setBusy(e.format);
    setError(undefined);
    try {
      await download(withQuery(e.path, e.path === LIST ? { ...params, format: e.format } : params), `iocs.${e.format}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'client', String(err)));
    } finally {
      setBusy(undefined);
    }
  };
  const refused = exports.filter((e) => e.refusal);
  return (
    <section class="panel downloads" aria-labelledby="iocs-downloads">
      <h2 id="iocs-downloads">Download these records</h2>
      <p class="muted small">
        Up to {count(me.tier.max_limit)} records matching the filters above, newest first (the {me.tier.name} tier's cap).
      </p>
      <div class="actions">
        {exports.map((e) => (
          <button
            key={e.format}
            type="button"
            class="secondary"
            disabled={e.refusal !== undefined || busy !== undefined}
            title={e.refusal}
            aria-describedby={e.refusal ? 'iocs-refused' : undefined}
            onClick={() => void save(e)}
          >
            {busy === e.format ? 'Downloading…' : (FORMAT_LABELS[e.format] ?? e.format.toUpperCase())}
          </button>
        ))}
      </div>
      {refused.length > 0 && (
        <p class="muted small" id="iocs-refused">
          {refused.map((e) => FORMAT_LABELS[e.format] ?? e.format).join(', ')}: not available to this key; they need a higher tier than{' '}
          {me.tier.name}.
        </p>
      )}
      {error && <ErrorNote error={error} title="The download failed" />}
    </section>
  );
}
