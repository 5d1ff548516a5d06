// An article's page (/item/{id}, where every record's source.article_url leads): what it is and
// who published it, its summary as text, then its IOCs by type, each a link to its answer page,
// the ATT&CK techniques and CVEs it names, and what it cites rather than accuses.
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { ConfidenceBadge } from '../components/ioc-labels';
import { ExternalLink, IocLink } from '../components/links';
import { ScrollBox } from '../components/scroll-box';
import { Empty, ErrorNote, Loading } from '../components/status';
import { summaryParagraphs } from '../components/summary';
import { TechniqueList } from '../components/techniques';
import { Time } from '../components/time';
import { count, dateTime } from '../format';
import { useApi, useTitle } from '../hooks';

interface ArticleIoc {
  id: string;
  value: string;
  confidence: string;
  context: string | null;
}

interface Article {
  data: {
    id: string;
    title: string | null;
    reference_url: string | null;
    source: { name: string; category: string };
    published_at: string | null;
    fetched_at: string;
    summary: string | null;
    ioc_count: number;
    ioc_counts: Record<string, number>;
    iocs: Record<string, ArticleIoc[]>;
    mitre_techniques: { id: string; name: string | null }[];
    cves: string[];
    references: { type: string; value: string; reason: string }[];
  };
}

// The observables, in this order; CVEs and techniques have sections of their own.
const GROUPS: [type: string, label: string][] = [
  ['ipv4', 'IPv4 addresses'],
  ['ipv6', 'IPv6 addresses'],
  ['domain', 'Domains'],
  ['url', 'URLs'],
  ['md5', 'MD5 hashes'],
  ['sha1', 'SHA-1 hashes'],
  ['sha256', 'SHA-256 hashes'],
  ['sha512', 'SHA-512 hashes'],
  ['email', 'E-mail addresses'],
];

/** Paragraphs of the summary shown before "Show the whole summary". */
const LEAD_PARAGRAPHS = 3;

export function ArticlePage() {
  const { params } = useRoute();
  const id = params.id ?? '';
  const article = useApi<Article>(`/api/v1/articles/${encodeURIComponent(id)}`);
  const a = article.data?.data;
  // A malformed id (400) is as absent as an unknown one (404).
  const missing = article.error?.status === 404 || article.error?.status === 400;
  useTitle(a?.title ?? (missing ? 'No such article' : 'Article'));

  if (article.loading || !a) {
    return (
      <main id="main" class="article-page">
        <h1>{missing ? 'No such article' : 'Article'}</h1>
        {article.loading ? (
          <Loading what="Loading the article" />
        ) : missing ? (
          <p>
            No article has the id <code>{id}</code>: the link may be wrong, or the article removed. The <a href="/articles">articles</a>{' '}
            list has every article there is.
          </p>
        ) : (
          article.error && <ErrorNote error={article.error} />
        )}
      </main>
    );
  }

  const paragraphs = summaryParagraphs(a.summary);
  const groups = GROUPS.filter(([type]) => (a.iocs[type]?.length ?? 0) > 0);
  return (
    <main id="main" class="article-page">
      <p class="crumbs">
        <a href="/articles">Articles</a> ›
      </p>
      <h1>{a.title ?? '(untitled article)'}</h1>
      <dl class="facts article-facts">
        <dt>Source</dt>
        <dd>
          {a.source.name} <span class="muted">({a.source.category})</span>
        </dd>
        <dt>Published</dt>
        <dd>{a.published_at ? <>{dateTime(a.published_at)} (<Time iso={a.published_at} />)</> : <span class="muted">undated</span>}</dd>
        <dt>Fetched</dt>
        <dd>
          {dateTime(a.fetched_at)} (<Time iso={a.fetched_at} />)
        </dd>
        <dt>Publisher's page</dt>
        <dd>{a.reference_url ? <ExternalLink href={a.reference_url} /> : <span class="muted">not known yet</span>}</dd>
      </dl>

      <ul class="tiles type-counts" aria-label="IOCs by type">
        <li class="tile">
          <span class="label">IOCs</span>
          <span class="value">{count(a.ioc_count)}</span>
        </li>
        {GROUPS.filter(([type]) => a.ioc_counts[type]).map(([type, label]) => (
          <li class="tile" key={type}>
            <span class="label">{label}</span>
            <span class="value">{count(a.ioc_counts[type])}</span>
          </li>
        ))}
        <li class="tile">
          <span class="label">ATT&amp;CK techniques</span>
          <span class="value">{count(a.mitre_techniques.length)}</span>
        </li>
        <li class="tile">
          <span class="label">CVEs</span>
          <span class="value">{count(a.cves.length)}</span>
        </li>
      </ul>

      <div class="article-top">
        <section class="panel" aria-labelledby="summary-title">
          <h2 id="summary-title">Summary</h2>
          {paragraphs.length === 0 ? (
            <Empty>The feed gives no summary.</Empty>
          ) : (
            <div class="article-summary">
              {paragraphs.slice(0, LEAD_PARAGRAPHS).map((p, i) => (
                <p key={i}>{p}</p>
              ))}
              {paragraphs.length > LEAD_PARAGRAPHS && (
                <details>
                  <summary>Show the whole summary</summary>
                  {paragraphs.slice(LEAD_PARAGRAPHS).map((p, i) => (
                    <p key={i}>{p}</p>
                  ))}
                </details>
              )}
            </div>
          )}
        </section>
        <div>
          <section class="panel" aria-labelledby="cves-title">
            <h2 id="cves-title">CVEs ({count(a.cves.length)})</h2>
            {a.cves.length === 0 ? (
              <Empty>None named.</Empty>
            ) : (
              <ul class="tag-chips">
                {a.cves.map((cve) => (
                  <li key={cve}>
                    <IocLink value={cve} />
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section class="panel" aria-labelledby="references-title">
            <h2 id="references-title">References ({count(a.references.length)})</h2>
            <p class="muted fine-print">What the article cites rather than accuses (its sources, its own site, contact addresses): kept apart from its IOCs.</p>
            {a.references.length > 0 && (
              <details>
                <summary>Show the references</summary>
                <ul class="plain references">
                  {a.references.map((r) => (
                    <li key={`${r.type}:${r.value}`}>
                      <span class="mono">{r.type === 'url' ? <ExternalLink href={r.value} /> : r.value}</span>
                      <span class="muted sub-line fine-print">{r.reason.replace(/^([a-z_]+):/, '$1: ').replaceAll('_', ' ')}</span>
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </section>
        </div>
      </div>

      <section aria-labelledby="iocs-title">
        <h2 id="iocs-title">IOCs</h2>
        {groups.length === 0 && <Empty>No observable (address, domain, URL, hash, e-mail) was extracted from it.</Empty>}
        {groups.map(([type, label]) => (
          <IocGroup key={type} type={type} label={label} iocs={a.iocs[type]!} total={a.ioc_counts[type] ?? 0} />
        ))}
      </section>

      <section class="panel" aria-labelledby="techniques-title">
        <h2 id="techniques-title">ATT&amp;CK techniques ({count(a.mitre_techniques.length)})</h2>
        {a.mitre_techniques.length === 0 ? <Empty>None named.</Empty> : <TechniqueList techniques={a.mitre_techniques} />}
      </section>
    </main>
  );
}

/** IOCs of a type shown before "Show all": the page stays scannable, the rest is one press away. */
const FIRST_ROWS = 25;

function IocGroup({ type, label, iocs, total }: { type: string; label: string; iocs: ArticleIoc[]; total: number }) {
  const [all, setAll] = useState(false);
  const shown = all ? iocs : iocs.slice(0, FIRST_ROWS);
  return (
    <section class="panel ioc-group" aria-labelledby={`group-${type}`}>
      <h3 id={`group-${type}`}>
        {label} ({count(total)})
      </h3>
      {total > iocs.length && (
        <p class="muted fine-print">
          The first {count(iocs.length)} of {count(total)}, best first.
        </p>
      )}
      <ScrollBox label="IOCs of the article">
        <table>
          <thead>
            <tr>
              <th scope="col">Value</th>
              <th scope="col">Confidence</th>
              <th scope="col">Context</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((ioc) => (
              <tr key={ioc.id}>
                <td class="value">
                  <IocLink value={ioc.value} />
                </td>
                <td>
                  <ConfidenceBadge confidence={ioc.confidence} />
                </td>
                <td class="context">{ioc.context ?? <span class="muted">–</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollBox>
      {shown.length < iocs.length && (
        <p class="actions">
          <button type="button" class="secondary" onClick={() => setAll(true)}>
            Show all {count(iocs.length)} {label}
          </button>
        </p>
      )}
    </section>
  );
}
