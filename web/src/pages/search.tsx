// The answer page for one value (/search?value=…, where the header's search box leads): the
// verdict first (where it stands in its lifecycle, score, sources, first and last seen), then what explains it and where to pivot:
// the records, related IOCs, articles, techniques, CVEs and the hunting queries. A value nobody
// reported, or a fragment that is no IOC, gets the partial search's near matches.
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { withQuery } from '../api';
import { ConfidenceBadge, typeLabel } from '../components/ioc-labels';
import { ArticleLink, ExternalLink, IocLink } from '../components/links';
import { ScrollBox } from '../components/scroll-box';
import { Empty, ErrorNote, Loading } from '../components/status';
import { TechniqueList } from '../components/techniques';
import { Time } from '../components/time';
import { count, dateTime } from '../format';
import { useApi, useTitle } from '../hooks';

interface ArticleRef {
  id: string;
  title: string | null;
  reference_url: string | null;
}

interface LookupSource {
  record_id: string;
  source: string;
  category: string;
  kind: string;
  origin: string;
  confidence: string;
  first_seen: string;
  last_seen: string;
  context: string | null;
  tags: string[];
  ports: number[];
  reference_url: string | null;
  article: ArticleRef | null;
}

interface RelatedIoc {
  id: string;
  type: string;
  value: string;
  confidence: string;
  last_seen: string;
  source: string;
}

interface RiskFactor {
  name: string;
  value: unknown;
  contribution: number;
  explanation: string;
}

/** Where the value stands in its lifecycle (valid until, expired, revoked). */
interface Lifecycle {
  status: 'active' | 'expired' | 'revoked';
  valid_until: string | null;
  revoked_at: string | null;
  reason: string | null;
  summary: string;
}

interface Lookup {
  meta: { lookback_days: number; since: string; notices?: string[] };
  data: {
    query: string;
    known: boolean;
    type: string;
    value: string;
    normalization_notes: string[];
    first_seen: string | null;
    last_seen: string | null;
    confidence: string | null;
    sources: LookupSource[];
    articles: (ArticleRef & { source: string })[];
    tags: string[];
    mitre_techniques: { id: string; name: string | null; url: string }[];
    cves: string[];
    related: { same_article: RelatedIoc[]; same_entry: RelatedIoc[] };
    warning_list: { list: string; reason: string } | null;
    lifecycle: Lifecycle | null;
    risk: { score: number; level: string; scored: boolean; factors: RiskFactor[] };
    hunting?: Record<string, { query: string | null; note: string }>;
  };
}

interface SearchMatch {
  id: string;
  type: string;
  value: string;
  confidence: string;
  last_seen: string;
  source: { feed_name: string };
}

interface SearchAnswer {
  data: { match_type: 'exact' | 'fuzzy' | 'none'; matches: SearchMatch[]; meta: { notices?: string[] } };
}

export function Search() {
  const { query } = useLocation();
  const value = (query.value ?? '').trim();
  useTitle(value ? `Search ${value}` : 'Search');
  return (
    <main id="main" class="search-page">
      {/* A new value is a new answer: nothing of the previous one shows while it loads. */}
      {value ? <Answer key={value} value={value} /> : <Help />}
    </main>
  );
}

function Help() {
  return (
    <>
      <h1>Search</h1>
      <div class="panel help">
        <p>
          Paste one value into the search box at the top of every page and press Enter: an IP address or network, a domain, a URL, an
          MD5, SHA-1, SHA-256 or SHA-512 hash, an e-mail address, a CVE or an ATT&amp;CK technique id. Defanged values such as{' '}
          <code>hxxp://example[.]com</code> or <code>192[.]0[.]2[.]1</code> are read as they were before defanging.
        </p>
        <p>
          The answer says whether any source reported it, with a risk score that explains itself, every record with its context, the
          articles it comes from, related IOCs to pivot to, and hunting queries for Splunk, Sentinel, Elastic and Sigma. A fragment of
          a value lists the known values that contain it.
        </p>
      </div>
    </>
  );
}

function Answer({ value }: { value: string }) {
  const lookup = useApi<Lookup>(withQuery('/api/v1/lookup', { value }));
  const answer = lookup.data?.data;
  const invalid = lookup.error?.status === 400;
  return (
    <>
      <h1 class="answer-title">
        <span class="visually-hidden">Lookup of </span>
        <span class="ioc">{answer?.value ?? value}</span>
      </h1>
      {lookup.loading ? (
        <Loading what="Looking it up" />
      ) : lookup.error ? (
        <>
          <ErrorNote error={lookup.error} title={invalid ? 'Not an IOC' : 'The lookup failed'} />
          {/* A fragment is no IOC, but the known values containing it may be what was meant. */}
          {invalid && value.length >= 2 && <NearMatches q={value} />}
        </>
      ) : (
        lookup.data && <LookupAnswer lookup={lookup.data} />
      )}
    </>
  );
}

function LookupAnswer({ lookup }: { lookup: Lookup }) {
  const a = lookup.data;
  const rewritten = a.query.trim() !== a.value;
  const notes = a.normalization_notes.filter((n) => n !== 'refanged').map((n) => n.replaceAll('_', ' '));
  return (
    <>
      <p class="answer-sub">
        <span class="badge neutral">{typeLabel(a.type)}</span>
        {rewritten && (
          <span>
            {a.normalization_notes.includes('refanged') ? 'Defanged input, refanged' : 'Normalized'} from <code>{a.query}</code>
            {notes.length > 0 && <span class="muted"> ({notes.join(', ')})</span>}
          </span>
        )}
      </p>
      {lookup.meta.notices?.map((notice) => (
        <p class="note info" key={notice}>
          {notice}
        </p>
      ))}
      <Verdict answer={a} />
      {!a.known && <NearMatches q={a.query} />}
      {a.known && (
        <>
          <Records records={a.sources} />
          <div class="grid">
            <Factors risk={a.risk} />
            <div>
              <Articles articles={a.articles} />
              <TagsAndCves tags={a.tags} cves={a.cves} />
            </div>
          </div>
          <Related related={a.related} />
          <Techniques techniques={a.mitre_techniques} />
        </>
      )}
      {a.hunting && <Hunting hunting={a.hunting} />}
    </>
  );
}

const RISK_CLASS: Record<string, string> = { critical: 'bad', high: 'bad', medium: 'warn', low: 'neutral', none: 'neutral' };

function Verdict({ answer: a }: { answer: Lookup['data'] }) {
  const sources = [...new Map(a.sources.map((s) => [s.source, s.category])).entries()];
  return (
    <section class="verdict" aria-labelledby="verdict-title">
      <h2 id="verdict-title" class={a.known ? 'visually-hidden' : undefined}>
        Verdict
      </h2>
      {a.warning_list && (
        <p class="note warn-list">
          <strong>On the warning list</strong> ({a.warning_list.list}): {a.warning_list.reason}
        </p>
      )}
      {a.lifecycle && <LifecycleLine lifecycle={a.lifecycle} />}
      {!a.known ? (
        <p class="note">
          <strong>Unknown.</strong> No source has reported this value.
        </p>
      ) : (
        <ul class="tiles verdict-tiles">
          <li class={`tile risk ${RISK_CLASS[a.risk.level] ?? 'neutral'}`}>
            <span class="label">Risk score</span>
            {a.risk.scored ? (
              <span class="value">
                {a.risk.score}
                <span class="of">/100</span>
              </span>
            ) : (
              <span class="value compact">not scored</span>
            )}
            <span class="detail">
              Level: <strong>{a.risk.level}</strong>
            </span>
          </li>
          <li class="tile">
            <span class="label">Sources</span>
            <span class="value">{count(sources.length)}</span>
            <span class="detail">
              {sources.map(([name, category], i) => (
                <span key={name}>
                  {i > 0 && ', '}
                  {name} <span class="muted">({category})</span>
                </span>
              ))}
            </span>
          </li>
          <li class="tile">
            <span class="label">Confidence</span>
            <span class="value compact">{a.confidence ? <ConfidenceBadge confidence={a.confidence} /> : '–'}</span>
            <span class="detail">the highest a source gives</span>
          </li>
          <li class="tile">
            <span class="label">First seen</span>
            <span class="value compact">
              <Time iso={a.first_seen} />
            </span>
            <span class="detail">{dateTime(a.first_seen)}</span>
          </li>
          <li class="tile">
            <span class="label">Last seen</span>
            <span class="value compact">
              <Time iso={a.last_seen} />
            </span>
            <span class="detail">{dateTime(a.last_seen)}</span>
          </li>
        </ul>
      )}
    </section>
  );
}

const LIFECYCLE_LABELS: Record<Lifecycle['status'], { label: string; badge: string }> = {
  active: { label: 'Active', badge: 'ok' },
  expired: { label: 'Expired', badge: 'warn' },
  revoked: { label: 'Revoked', badge: 'bad' },
};

/** The lifecycle in a line: a badge, then the server's sentence (text, as every value here). */
function LifecycleLine({ lifecycle }: { lifecycle: Lifecycle }) {
  const { label, badge } = LIFECYCLE_LABELS[lifecycle.status];
  return (
    <p class={`note lifecycle ${lifecycle.status}`}>
      <span class={`badge ${badge}`}>{label}</span> {lifecycle.summary}
      {lifecycle.status !== 'active' && <span class="muted"> · left out of the lists</span>}
    </p>
  );
}

const FACTOR_NAMES: Record<string, string> = {
  sources: 'Sources',
  source_kind: 'Kind of source',
  confidence: 'Confidence',
  recency: 'Recency',
  age_decay: 'Age decay',
  warning_list: 'Warning list',
  revoked: 'Revoked',
  expired: 'Expired',
  not_scored: 'Not scored',
};

function Factors({ risk }: { risk: Lookup['data']['risk'] }) {
  return (
    <section class="panel" aria-labelledby="factors-title">
      <h2 id="factors-title">Why this score</h2>
      <p class="muted fine-print">Each factor's points; together they make the score of {risk.score}.</p>
      <ul class="plain factors">
        {risk.factors.map((f) => (
          <li key={f.name}>
            <span class={`points ${f.contribution > 0 ? 'plus' : f.contribution < 0 ? 'minus' : ''}`}>
              {f.contribution > 0 ? `+${f.contribution}` : f.contribution < 0 ? `−${-f.contribution}` : '0'}
            </span>
            <span>
              <strong>{FACTOR_NAMES[f.name] ?? f.name}</strong> {f.explanation}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Tags and CVEs, when there are any. */
function TagsAndCves({ tags, cves }: { tags: string[]; cves: string[] }) {
  if (tags.length === 0 && cves.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="tags-title">
      <h2 id="tags-title">Tags and CVEs</h2>
      {tags.length > 0 && (
        <>
          <h3>Tags</h3>
          <ul class="tag-chips">
            {tags.map((tag) => (
              <li key={tag}>{tag}</li>
            ))}
          </ul>
        </>
      )}
      {cves.length > 0 && (
        <>
          <h3>CVEs its articles name</h3>
          <ul class="tag-chips">
            {cves.map((cve) => (
              <li key={cve}>
                <IocLink value={cve} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Techniques({ techniques }: { techniques: Lookup['data']['mitre_techniques'] }) {
  if (techniques.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="techniques-title">
      <h2 id="techniques-title">ATT&amp;CK techniques ({count(techniques.length)})</h2>
      <TechniqueList techniques={techniques} />
    </section>
  );
}

function Records({ records }: { records: LookupSource[] }) {
  return (
    <section class="panel" aria-labelledby="records-title">
      <h2 id="records-title">Records ({count(records.length)})</h2>
      {records.length === 0 ? (
        <Empty>None within your lookback.</Empty>
      ) : (
        <ScrollBox label="Table of the records">
          <table class="records">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Confidence</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
                <th scope="col">Context</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => (
                <tr key={r.record_id}>
                  <td>
                    <strong>{r.source}</strong>
                    <span class="muted sub-line">
                      {r.category} · {r.origin === 'article' ? 'article' : r.kind}
                    </span>
                  </td>
                  <td data-label="Confidence">
                    <ConfidenceBadge confidence={r.confidence} />
                  </td>
                  <td data-label="First seen">
                    <Time iso={r.first_seen} />
                  </td>
                  <td data-label="Last seen">
                    <Time iso={r.last_seen} />
                  </td>
                  <td class="context">
                    {r.context ?? <span class="muted">–</span>}
                    {r.ports.length > 0 && <span class="muted sub-line">ports {r.ports.join(', ')}</span>}
                    {r.tags.length > 0 && (
                      <ul class="tag-chips">
                        {r.tags.map((tag) => (
                          <li key={tag}>{tag}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="From">
                    {r.article ? (
                      <ArticleLink id={r.article.id} title={r.article.title ?? ''} />
                    ) : r.reference_url ? (
                      <ExternalLink href={r.reference_url}>upstream entry</ExternalLink>
                    ) : (
                      <span class="muted">the feed</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
    </section>
  );
}

function RelatedList({ title, id, items, empty }: { title: string; id: string; items: RelatedIoc[]; empty: string }) {
  return (
    <div class="related-list" role="group" aria-labelledby={id}>
      <h3 id={id}>
        {title} ({count(items.length)})
      </h3>
      {items.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <ul class="plain">
          {items.map((r) => (
            <li key={r.id}>
              <span class="badge neutral">{typeLabel(r.type)}</span> <IocLink value={r.value} />
              <span class="muted sub-line">
                {r.source} · last seen <Time iso={r.last_seen} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Related({ related }: { related: Lookup['data']['related'] }) {
  if (related.same_entry.length === 0 && related.same_article.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="related-title">
      <h2 id="related-title">Related IOCs</h2>
      <div class="grid">
        <RelatedList
          id="related-entry"
          title="Same feed entry"
          items={related.same_entry}
          empty="No other value in the same feed entry."
        />
        <RelatedList id="related-article" title="Same article" items={related.same_article} empty="No other value in its articles." />
      </div>
    </section>
  );
}

function Articles({ articles }: { articles: Lookup['data']['articles'] }) {
  if (articles.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="articles-title">
      <h2 id="articles-title">Articles ({count(articles.length)})</h2>
      <ul class="plain">
        {articles.map((article) => (
          <li key={article.id}>
            <ArticleLink id={article.id} title={article.title ?? ''} />
            <span class="muted sub-line">
              {article.source}
              {article.reference_url && (
                <>
                  {' · '}
                  <ExternalLink href={article.reference_url}>publisher's page</ExternalLink>
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const LANGUAGES: Record<string, string> = {
  splunk_spl: 'Splunk SPL',
  kql: 'KQL (Microsoft Sentinel, Defender)',
  elastic_kql: 'Elastic KQL',
  esql: 'Elastic ES|QL',
  sigma: 'Sigma rule',
};

function Hunting({ hunting }: { hunting: NonNullable<Lookup['data']['hunting']> }) {
  return (
    <section class="panel" aria-labelledby="hunting-title">
      <h2 id="hunting-title">Hunting queries</h2>
      {Object.entries(hunting).map(([language, h], i) => (
        <details class="hunt" key={language} open={i === 0}>
          <summary>{LANGUAGES[language] ?? language}</summary>
          <p class="muted fine-print">{h.note}</p>
          {h.query === null ? (
            <Empty>No query for this type.</Empty>
          ) : (
            <>
              <pre>
                <code>{h.query}</code>
              </pre>
              <CopyButton text={h.query} what={LANGUAGES[language] ?? language} />
            </>
          )}
        </details>
      ))}
    </section>
  );
}

function CopyButton({ text, what }: { text: string; what: string }) {
  const [said, setSaid] = useState('');
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setSaid('Copied.'),
      // Without the clipboard (a page not served over HTTPS, a refused permission) the text is there to select.
      () => setSaid('The browser refused: select the query and copy it.'),
    );
  return (
    <p class="actions">
      <button type="button" class="secondary" onClick={copy}>
        Copy <span class="visually-hidden">the {what} query</span>
      </button>
      <span role="status" class="muted fine-print">
        {said}
      </span>
    </p>
  );
}

/** The partial search: known values containing q, or near misses, each a link to its answer. */
function NearMatches({ q }: { q: string }) {
  const search = useApi<SearchAnswer>(withQuery('/api/v1/iocs/search', { q, include_related: false }));
  // The search answers each record; a value is listed once.
  const values = [...new Map((search.data?.data.matches ?? []).map((m) => [`${m.type}:${m.value}`, m])).values()];
  return (
    <section class="panel" aria-labelledby="near-title">
      <h2 id="near-title">Near matches</h2>
      {search.loading ? (
        <Loading what="Looking for known values that contain it" />
      ) : search.error ? (
        <ErrorNote error={search.error} title="The partial search failed" />
      ) : values.length === 0 ? (
        <Empty>No known value contains it or comes close.</Empty>
      ) : (
        <>
          <p class="muted fine-print">
            {search.data?.data.match_type === 'exact' ? 'Stored under this value:' : 'Known values that contain it, or come close:'}
          </p>
          <ul class="plain">
            {values.map((m) => (
              <li key={m.id}>
                <span class="badge neutral">{typeLabel(m.type)}</span> <IocLink value={m.value} />
                <span class="muted sub-line">
                  {m.source.feed_name} · last seen <Time iso={m.last_seen} />
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {search.data?.data.meta.notices?.map((notice) => (
        <p class="muted fine-print" key={notice}>
          {notice}
        </p>
      ))}
    </section>
  );
}
