// npm run bench [-- --size N] [--backend external|embedded|both] [--runs N] [--only api,list,formats,adversarial,start,ingest,lifecycle,extract,dashboard]
// Loads a seeded corpus of IOC records, then prints each figure of the API beside a floor
// measured in the same run, and their ratio (these machines are noisy: only ratios compare).
// The API figures are taken by a client process of its own (bench/client.ts), each in turns
// with its floor, from a service started as `npm start` runs it (without its feed scheduler),
// on each backend (bench/backends.ts) through the same code: the external PostgreSQL
// (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; a database of its
// own is created and dropped) and the embedded one of a fresh DATA_DIR (no DATABASE_URL), whose
// floors run on the very server the service adopts. The API section runs --runs times (default
// 3), each run on both backends, the corpus generated once (its figures include the lookup beside
// the exact search, and a walk of the articles' pages beside the bare route, taken in turns); then a table compares the backends:
// each figure's embedded/external ratio, the median of the runs' ratios and each run's.
// Then hostile searches on the embedded store (bench/adversarial.ts), start-up and memory on the embedded store (bench/start.ts), ingestion (bench/ingest.ts:
// upserts beside COPY, on both backends), the IOC lifecycle (bench/lifecycle.ts: the expiry sweep
// over --size indicators, the active-only lists and the changes feed beside the unfiltered list,
// on both backends), article extraction (bench/extract.ts) and the
// dashboard's first page in Chromium (bench/dashboard.ts). --only runs
// some of the sections. `start` runs the build in dist/ (npm run bench builds it first).
import { parseArgs } from 'node:util';
import { parseIoc } from '../src/ioc/index.js';
import { fuzzyPiece } from '../src/store/search.js';
import { parseBackends, type BackendName } from './backends.js';
import { generateCorpus, type Corpus } from './corpus.js';
import { benchAdversarial } from './adversarial.js';
import { benchDashboard } from './dashboard.js';
import { benchExtraction } from './extract.js';
import { benchFormats, walk } from './formats.js';
import { benchIngest } from './ingest.js';
import { benchLifecycle } from './lifecycle.js';
import { benchList } from './list.js';
import type { HttpProbe, Probe, Results, Step } from './client.js';
import { formatNumber, median, printTable, runClient, type Latency, type Row } from './measure.js';
import { LOOKBACK_DAYS, timed, withLoadedService, log } from './service.js';
import { benchStart } from './start.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1000000' },
    backend: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string', default: 'api,list,formats,adversarial,start,ingest,lifecycle,extract,dashboard' },
  },
});
const ALL_SECTIONS = ['api', 'list', 'formats', 'adversarial', 'start', 'ingest', 'lifecycle', 'extract', 'dashboard'];
const SECTIONS = new Set(args.only.split(','));
for (const section of SECTIONS) if (!ALL_SECTIONS.includes(section)) throw new Error(`--only: unknown section ${section} (${ALL_SECTIONS.join(', ')})`);
const BACKENDS = parseBackends(args.backend);
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs: expected a positive integer, got ${args.runs}`);
const SIZE = Number(args.size);
const EXPORT_ROWS = Math.min(10_000, SIZE);
const ARTICLES_PAGE = 50;

// The floors' SQL: the same rows the export endpoints serve, newest first.
const RECORDS_SQL = `select s.id, s.type, i.value, s.confidence, socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen,
    s.article_id, a.title as article_title, a.url as article_url, s.reference_url, src.name as feed_name, src.category, s.origin,
    s.context, s.tags, s.mitre_techniques
  from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id
  where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
const CSV_SQL = `select s.id, s.type, i.value, s.confidence, socd_iso(s.first_seen), socd_iso(s.last_seen), s.article_id,
    src.name, src.category, array_to_string(s.tags, ',')
  from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
  where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
// The total in the JSON list's meta: every record in the lookback, as the service counts it.
const COUNT_SQL = `select count(*)::int as total from sightings s where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'`;
const TXT_SQL = `select i.value from sightings s join indicators i on i.id = s.indicator_id
  where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
// The trigram index leaves hashes out (0003_ingest_indexes.sql): the floor carries its predicate,
// as the service's statement does, to be planned on the same index.
const LIKE_SQL = `select id, value_normalized from indicators
  where type not in ('md5', 'sha1', 'sha256', 'sha512') and value_normalized like $1 limit 200`;

/**
 * Values to look up: existing ones (exact), and pieces of existing domains and URLs that are not
 * values themselves (strictly inside one, so that the lookup goes to the trigram fallback; a
 * hash is looked up by its beginning, on another index, and is no trigram figure).
 */
function queries(corpus: Corpus) {
  const exact: string[] = [];
  const fragments: string[] = [];
  const known = new Set(corpus.indicators.map((i) => i.normalized));
  const step = Math.max(1, Math.floor(corpus.indicators.length / 500));
  for (let i = 0; i < corpus.indicators.length && exact.length < 500; i += step) exact.push(corpus.indicators[i]!.value);
  const fragmentStep = Math.max(1, Math.floor(corpus.indicators.length / 1000));
  for (let i = 7; i < corpus.indicators.length && fragments.length < 200; i += fragmentStep) {
    const { type, normalized } = corpus.indicators[i]!;
    if (type !== 'domain' && type !== 'url') continue;
    const fragment = normalized.replace(/^https?:\/\//, '').slice(1, 13);
    // Only pieces the search runs its fuzzy stage for (spec README, decision 10: not a whole address, nor one without three letters or digits in a row).
    if (!known.has(fragment) && fuzzyPiece(fragment) !== undefined && !isWholeAddress(fragment)) fragments.push(fragment);
  }
  return { exact, fragments };
}

function isWholeAddress(value: string): boolean {
  const parsed = parseIoc(value);
  return parsed.ok && (parsed.ioc.type === 'ipv4' || parsed.ioc.type === 'ipv6');
}
const MISSING = { p50: NaN, p99: NaN, n: 0 };
const latency = (results: Results, name: string) => (results[name] as Latency | undefined) ?? MISSING;
const ms = (results: Results, name: string) => (results[name] as number | undefined) ?? NaN;

/** The figures' probes: HTTP on the service (and the bare route), each to pair with its floor. */
function serviceProbes(service: string, bare: string, key: string, corpus: Corpus, articlePages: string[]) {
  const headers = { authorization: `Bearer ${key}` };
  const { exact, fragments } = queries(corpus);
  const http = (base: string, paths: string[], expect?: HttpProbe['expect']): HttpProbe => ({
    kind: 'http',
    base,
    paths,
    headers: base === bare ? {} : headers,
    ...(expect && { expect }),
  });
  return {
    bare: http(bare, ['/bare']),
    search: http(service, exact.map((v) => `/api/v1/iocs/search?q=${encodeURIComponent(v)}`), 'exact'),
    lookup: http(service, exact.map((v) => `/api/v1/lookup?value=${encodeURIComponent(v)}`), 'known'),
    articles: http(service, articlePages),
    fuzzy: http(service, fragments.map((v) => `/api/v1/iocs/search?q=${encodeURIComponent(v)}&include_related=false`), 'fuzzy'),
    stats: http(service, ['/api/v1/iocs/stats']),
    csv: http(service, [`/api/v1/iocs?format=csv&limit=${EXPORT_ROWS}`]),
    txt: http(service, [`/api/v1/iocs?format=txt&limit=${EXPORT_ROWS}`]),
    json: http(service, [`/api/v1/iocs?limit=${EXPORT_ROWS}`]),
    stix: http(service, [`/api/v1/iocs/stix?limit=${EXPORT_ROWS}`]),
  };
}

/** The floors' probes, on the database itself. */
function floorProbes(corpus: Corpus) {
  const { fragments } = queries(corpus);
  return {
    like: { kind: 'sql', sql: LIKE_SQL, params: fragments.map((f) => [`%${f}%`]) },
    copyCsv: { kind: 'copy', sql: CSV_SQL },
    copyTxt: { kind: 'copy', sql: TXT_SQL },
    jsonFloor: { kind: 'json-floor', sql: RECORDS_SQL, countSql: COUNT_SQL },
    stixFloor: { kind: 'stix-floor', indicators: EXPORT_ROWS, lookbackDays: LOOKBACK_DAYS },
  } satisfies Record<string, Probe>;
}

type ServiceProbes = ReturnType<typeof serviceProbes>;
type FloorProbes = ReturnType<typeof floorProbes>;

/** The steps of a run: each figure taken in turns with its floor. */
function steps(s: ServiceProbes, floors: FloorProbes, fragmentCount: number): Step[] {
  return [
    { kind: 'latency', samples: 3000, warmup: 300, probes: { bare: s.bare, search: s.search, stats: s.stats } },
    { kind: 'latency', samples: 2000, warmup: 200, probes: { bare50: s.bare, search50: s.search, lookup: s.lookup, articles: s.articles } },
    { kind: 'latency', samples: fragmentCount * 3, warmup: 20, probes: { fuzzy: s.fuzzy, like: floors.like } },
    { kind: 'throughput', rounds: 3, seconds: 4, connections: 50, probes: { bareRps: s.bare, searchRps: s.search } },
    {
      kind: 'median',
      runs: 10,
      probes: {
        csv: s.csv,
        copyCsv: floors.copyCsv,
        txt: s.txt,
        copyTxt: floors.copyTxt,
        json: s.json,
        jsonFloor: floors.jsonFloor,
        stix: s.stix,
        stixFloor: floors.stixFloor,
      },
    },
  ];
}

function report(title: string, r: Results) {
  const [bare, search, fuzzy, like, stats, bare50, search50, lookup, articles] = ['bare', 'search', 'fuzzy', 'like', 'stats', 'bare50', 'search50', 'lookup', 'articles'].map((name) => latency(r, name)) as Latency[];
  const rows: Row[] = [
    { figure: 'exact search p50 (HTTP, full stack)', value: search!.p50, floorName: 'bare route p50', floor: bare!.p50, unit: 'ms', target: 3 },
    { figure: 'exact search p99', value: search!.p99, floorName: '5 ms budget', floor: 5, unit: 'ms', target: 1 },
    { figure: 'exact search throughput (50 conn.)', value: ms(r, 'searchRps'), floorName: 'bare route req/s', floor: ms(r, 'bareRps'), unit: 'req/s', target: 0.2, atLeast: true },
    { figure: 'trigram fallback p50 (HTTP)', value: fuzzy!.p50, floorName: "bare SQL LIKE '%q%' p50", floor: like!.p50, unit: 'ms', target: 2 },
    { figure: 'trigram fallback p99 (HTTP)', value: fuzzy!.p99, floorName: "bare SQL LIKE '%q%' p99", floor: like!.p99, unit: 'ms', target: 3 },
    { figure: 'stats p50', value: stats!.p50, floorName: 'bare route p50', floor: bare!.p50, unit: 'ms', target: 1.1 },
    { figure: 'lookup p50 (risk, related, hunting queries)', value: lookup!.p50, floorName: 'exact search p50 (same turns)', floor: search50!.p50, unit: 'ms', target: 3 },
    { figure: `articles page of ${ARTICLES_PAGE} p50 (walk of ${r.articlePages} pages)`, value: articles!.p50, floorName: 'bare route p50 (same turns)', floor: bare50!.p50, unit: 'ms', target: 3 },
    { figure: `CSV export, ${EXPORT_ROWS} rows`, value: ms(r, 'csv'), floorName: 'COPY ... TO STDOUT (csv)', floor: ms(r, 'copyCsv'), unit: 'ms', target: 1.5 },
    { figure: `TXT export, ${EXPORT_ROWS} values`, value: ms(r, 'txt'), floorName: 'COPY ... TO STDOUT (values)', floor: ms(r, 'copyTxt'), unit: 'ms', target: 1.5 },
    { figure: `JSON export, ${EXPORT_ROWS} rows`, value: ms(r, 'json'), floorName: 'fetch rows + count + build JSON', floor: ms(r, 'jsonFloor'), unit: 'ms', target: 1.5 },
    { figure: `STIX export, ${EXPORT_ROWS} indicators`, value: ms(r, 'stix'), floorName: 'fetch rows + build STIX', floor: ms(r, 'stixFloor'), unit: 'ms', target: 1.5 },
  ];
  printTable(title, rows);
  log(`(bare route p99 ${bare!.p99.toFixed(3)} ms; search p50/p99 ${search!.p50.toFixed(3)}/${search!.p99.toFixed(3)} ms; stats p99 ${stats!.p99.toFixed(3)} ms)`);
}

/** One backend's API figures: the service on a freshly loaded store, then the figures and their floors. */
function benchApi(backend: BackendName, corpus: Corpus, title: string): Promise<Results> {
  return withLoadedService(backend, corpus, async ({ label, service, bare, keys, db }) => {
    // An articles reader's pages, each the `next` of the one before.
    const articlePages = await walk(service, { authorization: `Bearer ${keys[0]}` }, `/api/v1/articles?limit=${ARTICLES_PAGE}`, 100, (body) => {
      const next = (JSON.parse(body) as { links: { next?: string } }).links.next;
      return next && new URL(next).pathname + new URL(next).search;
    });
    const probes = serviceProbes(service, bare, keys[0], corpus, articlePages);
    const results = await timed(`${label}: measuring`, () =>
      runClient({ db, steps: steps(probes, floorProbes(corpus), probes.fuzzy.paths.length) }),
    );
    report(title, { ...results, articlePages: articlePages.length });
    return results;
  });
}

/** The figures compared between the backends; `higher`: more is better (the ratio is inverted). */
const COMPARED: { figure: string; unit: string; of: (r: Results) => number; higher?: boolean }[] = [
  { figure: 'exact search p50', unit: 'ms', of: (r) => latency(r, 'search').p50 },
  { figure: 'exact search p99', unit: 'ms', of: (r) => latency(r, 'search').p99 },
  { figure: 'exact search throughput (50 conn.)', unit: 'req/s', of: (r) => ms(r, 'searchRps'), higher: true },
  { figure: 'trigram fallback p50', unit: 'ms', of: (r) => latency(r, 'fuzzy').p50 },
  { figure: 'trigram fallback p99', unit: 'ms', of: (r) => latency(r, 'fuzzy').p99 },
  { figure: 'stats p50', unit: 'ms', of: (r) => latency(r, 'stats').p50 },
  { figure: 'lookup p50', unit: 'ms', of: (r) => latency(r, 'lookup').p50 },
  { figure: `articles page of ${ARTICLES_PAGE} p50`, unit: 'ms', of: (r) => latency(r, 'articles').p50 },
  { figure: `CSV export, ${EXPORT_ROWS} rows`, unit: 'ms', of: (r) => ms(r, 'csv') },
  { figure: `TXT export, ${EXPORT_ROWS} values`, unit: 'ms', of: (r) => ms(r, 'txt') },
  { figure: `JSON export, ${EXPORT_ROWS} rows`, unit: 'ms', of: (r) => ms(r, 'json') },
  { figure: `STIX export, ${EXPORT_ROWS} indicators`, unit: 'ms', of: (r) => ms(r, 'stix') },
];
const EMBEDDED_TARGET = 1.2;

/**
 * Embedded beside external, figure by figure: each run's slowdown (embedded/external; for
 * throughput external/embedded), and their median, the figure to quote.
 */
function compare(runs: Record<BackendName, Results>[], records: number) {
  const fmt = formatNumber;
  console.log(`\n## Embedded vs external PostgreSQL, ${records} records: median of ${runs.length} run${runs.length > 1 ? 's' : ''}`);
  console.log('| figure | embedded (median) | external (median) | slowdown, median of runs | each run | target |');
  console.log('| --- | ---: | ---: | ---: | --- | --- |');
  for (const c of COMPARED) {
    const embedded = runs.map((r) => c.of(r.embedded));
    const external = runs.map((r) => c.of(r.external));
    const ratios = runs.map((_, i) => (c.higher ? external[i]! / embedded[i]! : embedded[i]! / external[i]!));
    const ratio = median(ratios);
    const verdict = ratio <= EMBEDDED_TARGET ? 'ok' : 'MISSED';
    console.log(
      `| ${c.figure}${c.higher ? ' (external/embedded)' : ''} | ${fmt(median(embedded))} ${c.unit} | ${fmt(median(external))} ${c.unit} | ` +
        `${ratio.toFixed(2)}x | ${ratios.map((x) => `${x.toFixed(2)}x`).join(', ')} | ≤ ${EMBEDDED_TARGET}x ${verdict} |`,
    );
  }
  console.log('\nslowdown: embedded/external in each run (throughput: external/embedded, so above 1 is slower), then the median of the runs.');
}

const corpus =
  SECTIONS.has('api') || SECTIONS.has('list') || SECTIONS.has('formats') || SECTIONS.has('adversarial') ? await timed(`generate ${SIZE} records`, async () => generateCorpus(SIZE)) : undefined;
if (corpus) log(`${corpus.indicators.length} indicators, ${corpus.records.length} records, ${corpus.articles.length} articles`);
if (corpus && SECTIONS.has('api')) {
  const runs: Record<BackendName, Results>[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Every other run the other backend goes first: neither always meets a machine the other warmed (or loaded).
    const order = run % 2 === 0 ? BACKENDS : [...BACKENDS].reverse();
    const results: Partial<Record<BackendName, Results>> = {};
    for (const backend of order) {
      const title = `${backend === 'embedded' ? 'Embedded' : 'External'} PostgreSQL, ${corpus.records.length} records${RUNS > 1 ? ` (run ${run + 1} of ${RUNS})` : ''}`;
      results[backend] = await benchApi(backend, corpus, title);
    }
    runs.push(results as Record<BackendName, Results>);
  }
  if (BACKENDS.length === 2) compare(runs, corpus.records.length);
}
// The list's pages beside their floor (bench/list.ts), on each backend.
if (corpus && SECTIONS.has('list')) await benchList(corpus, BACKENDS);
// CEF, OpenIOC, MISP and Sigma beside their writers alone, and a TAXII walk beside the list's (bench/formats.ts).
if (corpus && SECTIONS.has('formats')) await benchFormats(corpus, BACKENDS);
if (corpus && SECTIONS.has('adversarial')) await benchAdversarial(corpus);
if (SECTIONS.has('start')) await benchStart();
if (SECTIONS.has('ingest')) await benchIngest({ size: SIZE, backend: args.backend });
if (SECTIONS.has('lifecycle')) await benchLifecycle({ size: SIZE, backends: BACKENDS });
if (SECTIONS.has('extract')) await benchExtraction();
if (SECTIONS.has('dashboard')) await benchDashboard();
