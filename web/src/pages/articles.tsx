// The articles IOCs are extracted from, newest first: full-text search, a source, a category and
// a start date, paged with the API's cursor. The filters and the cursor live in the page's URL, so
// that back, forward, reload and a shared link all show the same page.
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { withQuery } from '../api';
import { ArticleLink, ExternalLink } from '../components/links';
import { Empty, ErrorNote, Loading } from '../components/status';
import { summaryExcerpt } from '../components/summary';
import { Time } from '../components/time';
import { count } from '../format';
import { useApi, useTitle } from '../hooks';

/** Articles a page (the API's default, said explicitly so that the page and a script agree). */
export const PAGE_SIZE = 20;

const CATEGORIES = ['news', 'research', 'threat-intel', 'vendor', 'government'];
const FILTERS = ['q', 'source', 'category', 'since'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

interface ArticleSummary {
  id: string;
  title: string;
  reference_url: string;
  source: { name: string; category: string };
  published_at: string | null;
  fetched_at: string;
  summary: string | null;
  ioc_count: number;
}

interface ArticleList {
  meta: { notices?: string[] };
  data: ArticleSummary[];
  links: { next?: string };
}

interface SourceList {
  data: { name: string; kind: string }[];
}

function filtersOf(query: Record<string, string>): Filters {
  return Object.fromEntries(FILTERS.map((name) => [name, query[name] ?? ''])) as Filters;
}

export function Articles() {
  const { query, route } = useLocation();
  const filters = filtersOf(query);
  const cursor = query.cursor ?? '';
  const list = useApi<ArticleList>(withQuery('/api/v1/articles', { ...filters, limit: PAGE_SIZE, cursor }));
  useTitle(filters.q ? `Articles: ${filters.q}` : 'Articles');
  const nextCursor = list.data?.links.next ? new URL(list.data.links.next).searchParams.get('cursor') : null;
  const filtered = FILTERS.some((name) => filters[name]);

  return (
    <main id="main" class="articles-page">
      <h1>Articles</h1>
      <ArticleFilters filters={filters} onSearch={(f) => route(withQuery('/articles', f))} />
      {list.error ? (
        <ErrorNote error={list.error} />
      ) : !list.data ? (
        <Loading what="Loading the articles" />
      ) : (
        <div aria-busy={list.loading ? 'true' : undefined}>
          {list.data.meta.notices?.map((notice) => (
            <p class="note info" key={notice}>
              {notice}
            </p>
          ))}
          {list.data.data.length === 0 ? (
            <Empty>{cursor ? 'No more articles.' : filtered ? 'No article matches these filters.' : 'No article has been fetched yet.'}</Empty>
          ) : (
            <ol class="article-list" aria-label="Articles, newest first">
              {list.data.data.map((a) => (
                <li key={a.id}>
                  <h2 class="title">
                    <ArticleLink id={a.id} title={a.title} />
                  </h2>
                  <p class="meta">
                    <span>{a.source.name}</span>
                    <span class="muted">{a.source.category}</span>
                    <span>
                      {a.published_at ? 'published ' : 'fetched '}
                      <Time iso={a.published_at ?? a.fetched_at} />
                    </span>
                    <ExternalLink href={a.reference_url}>publisher's page</ExternalLink>
                  </p>
                  <span class={`ioc-count${a.ioc_count === 0 ? ' none' : ''}`}>
                    {count(a.ioc_count)} IOC{a.ioc_count === 1 ? '' : 's'}
                  </span>
                  {a.summary && <p class="excerpt">{summaryExcerpt(a.summary)}</p>}
                </li>
              ))}
            </ol>
          )}
          <nav class="pager" aria-label="Pages">
            {cursor && <a href={withQuery('/articles', filters)}>First page</a>}
            {nextCursor && (
              <a href={withQuery('/articles', { ...filters, cursor: nextCursor })} rel="next">
                Next page
              </a>
            )}
          </nav>
        </div>
      )}
    </main>
  );
}

function ArticleFilters({ filters, onSearch }: { filters: Filters; onSearch: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(filters);
  // Back and forward change the URL: the form shows the filters of the page shown.
  const key = JSON.stringify(filters);
  useEffect(() => setDraft(filters), [key]);
  const sources = useApi<SourceList>('/api/v1/sources');
  // Only RSS and Atom sources publish articles; the others are IOC feeds.
  const names = (sources.data?.data ?? []).filter((s) => s.kind === 'rss').map((s) => s.name).sort((a, b) => a.localeCompare(b));
  const field = (name: keyof Filters) => ({
    id: `articles-${name}`,
    name,
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
  });
  return (
    <form
      class="filters article-filters"
      role="search"
      aria-label="Filter the articles"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch({ ...draft, q: draft.q.trim() });
      }}
    >
      <div class="q">
        <label for="articles-q">Search the text</label>
        <input type="search" {...field('q')} placeholder='ransomware, "fast flux", -phishing' />
      </div>
      <div>
        <label for="articles-source">Source</label>
        <select {...field('source')}>
          <option value="">All sources</option>
          {/* A source in the URL that the list does not have still shows. */}
          {[...new Set([...(draft.source ? [draft.source] : []), ...names])].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="articles-category">Category</label>
        <select {...field('category')}>
          <option value="">All categories</option>
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="articles-since">Fetched since</label>
        <input type="date" {...field('since')} />
      </div>
      <div class="buttons">
        <button type="submit">Search</button>
      </div>
    </form>
  );
}
