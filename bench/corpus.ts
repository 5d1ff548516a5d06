// A corpus of IOC records of realistic shapes, from a seeded generator (every run the same),
// and its loading into the store with COPY. The mix follows the reference system's stats:
// mostly IPv4, domains, URLs and hashes; some e-mails, CVEs and ATT&CK techniques; most
// records from feeds, some from articles; a value now and then reported by several sources.
import { attackTechnique } from '../src/ioc/attack.js';
import { indicatorId, parseIoc, recordId, type IocType } from '../src/ioc/index.js';
import type { Confidence } from '../src/ioc/types.js';
import type { NewRecord } from '../src/store/upsert.js';

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPE_MIX: [IocType, number][] = [
  ['ipv4', 0.31],
  ['domain', 0.21],
  ['url', 0.15],
  ['sha256', 0.17],
  ['md5', 0.066],
  ['sha1', 0.05],
  ['ipv6', 0.01],
  ['email', 0.017],
  ['cve', 0.004],
  ['mitre_attack', 0.003],
];

export const FEED_SOURCES = [
  { name: 'URLhaus', kind: 'urlhaus-csv', category: 'threat-intel' },
  { name: 'Feodo Tracker', kind: 'feodo-json', category: 'threat-intel' },
  { name: 'ThreatFox', kind: 'threatfox-json', category: 'threat-intel' },
  { name: 'CISA KEV', kind: 'cisa-kev', category: 'government' },
] as const;
export const ARTICLE_SOURCES = [
  { name: 'BleepingComputer', kind: 'rss', category: 'news' },
  { name: 'Krebs on Security', kind: 'rss', category: 'news' },
  { name: 'The DFIR Report', kind: 'rss', category: 'research' },
  { name: 'Unit 42', kind: 'rss', category: 'vendor' },
  { name: 'CISA Cybersecurity Advisories', kind: 'rss', category: 'government' },
] as const;

const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'te', 'zu', 'po', 'xi', 'ne', 'sa', 'do', 'ri', 'ven', 'tor', 'mex', 'qua', 'lin', 'sec', 'up', 'cdn'];
const TLDS = ['com', 'net', 'org', 'ru', 'top', 'xyz', 'info', 'io', 'cn', 'biz', 'online', 'site', 'shop', 'click', 'br', 'in'];
const FILES = ['bin.sh', 'i', 'mozi.m', 'update.exe', 'invoice.zip', 'payload.dll', 'x86', 'arm7', 'index.php', 'gate.php'];
const TAGS = ['mirai', 'mozi', 'emotet', 'qakbot', 'cobaltstrike', 'asyncrat', 'vidar', 'lumma', 'clearfake', 'elf', 'exe', 'c2', 'botnet_cc', 'payload_delivery'];
const INDUSTRIES = ['finance', 'healthcare', 'government', 'technology', 'manufacturing', 'energy', 'education', 'telecom'];
const TECHNIQUES = ['T1566', 'T1566.001', 'T1059', 'T1059.001', 'T1190', 'T1071', 'T1105', 'T1110.003', 'T1486', 'T1204.002'];

export interface CorpusIndicator {
  id: string;
  type: IocType;
  value: string;
  normalized: string;
  confidence: string;
  firstSeen: Date;
  lastSeen: Date;
}
export interface CorpusRecord {
  id: string;
  indicatorId: string;
  type: IocType;
  sourceIndex: number;
  articleId: string | null;
  origin: 'feed' | 'article';
  confidence: string;
  context: string | null;
  tags: string[];
  mitre: string[];
  industries: string[];
  extractedAt: Date;
  firstSeen: Date;
  lastSeen: Date;
}
export interface CorpusArticle {
  id: string;
  sourceIndex: number;
  title: string;
  url: string;
  publishedAt: Date;
}

export interface Corpus {
  indicators: CorpusIndicator[];
  records: CorpusRecord[];
  articles: CorpusArticle[];
  sources: { name: string; kind: string; category: string }[];
}

/** A corpus record as the pipeline hands it to the store (upsertRecords), last seen at `lastSeen`. */
export function toNewRecord(r: CorpusRecord, i: CorpusIndicator, lastSeen = r.lastSeen): NewRecord {
  return {
    ioc: { type: i.type, value: i.value, normalized: i.normalized, notes: [] },
    confidence: r.confidence as Confidence,
    firstSeen: r.firstSeen,
    lastSeen,
    context: r.context,
    tags: r.tags,
    mitreTechniques: r.mitre,
    industries: r.industries,
    referenceUrl: null,
    articleId: r.articleId,
    ports: [],
    suppressedReason: null,
  };
}

/** Generates `size` records (and the indicators and articles they name). */
export function generateCorpus(size: number, seed = 20261123, now = Date.now()): Corpus {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const hex = (length: number) => {
    let out = '';
    while (out.length < length) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  };
  const octet = () => 1 + Math.floor(random() * 254);
  const label = () => pick(SYLLABLES) + pick(SYLLABLES) + (random() < 0.3 ? String(Math.floor(random() * 100)) : '');
  const domain = () => `${random() < 0.35 ? label() + '.' : ''}${label()}${pick(SYLLABLES)}.${pick(TLDS)}`;
  const rawValue: Record<IocType, () => string> = {
    ipv4: () => `${pick([5, 23, 31, 45, 62, 77, 91, 103, 117, 141, 176, 185, 193, 212])}.${octet()}.${octet()}.${octet()}`,
    ipv6: () => `2a0${Math.floor(random() * 9) + 1}:${hex(4)}:${hex(4)}::${hex(3)}`,
    domain,
    url: () =>
      `http${random() < 0.4 ? 's' : ''}://${random() < 0.4 ? `${octet()}.${octet()}.${octet()}.${octet()}:${1024 + Math.floor(random() * 60000)}` : domain()}/${random() < 0.5 ? label() + '/' : ''}${pick(FILES)}`,
    md5: () => hex(32),
    sha1: () => hex(40),
    sha256: () => hex(64),
    sha512: () => hex(128),
    email: () => `${label()}.${label()}@${domain()}`,
    cve: () => `CVE-${2015 + Math.floor(random() * 12)}-${1000 + Math.floor(random() * 60000)}`,
    mitre_attack: () => pick(TECHNIQUES),
  };
  const cumulative = TYPE_MIX.map(([type], i) => [type, TYPE_MIX.slice(0, i + 1).reduce((s, [, w]) => s + w, 0)] as const);
  const pickType = () => {
    const r = random() * cumulative[cumulative.length - 1]![1];
    return cumulative.find(([, edge]) => r < edge)![0];
  };

  const sources = [...FEED_SOURCES, ...ARTICLE_SOURCES].map((s) => ({ ...s }));
  const articleCount = Math.max(10, Math.round(size / 400));
  const articles: CorpusArticle[] = [];
  for (let i = 0; i < articleCount; i++) {
    const sourceIndex = FEED_SOURCES.length + Math.floor(random() * ARTICLE_SOURCES.length);
    const id = indicatorId('url', `article:${i}`); // any stable UUID will do
    articles.push({
      id,
      sourceIndex,
      title: `${pick(TAGS)} campaign ${i} targets ${pick(INDUSTRIES)}`,
      url: `https://news.example.org/${sources[sourceIndex]!.name.toLowerCase().replace(/\W+/g, '-')}/${i}`,
      publishedAt: new Date(now - random() * 365 * 86_400_000),
    });
  }

  const indicators: CorpusIndicator[] = [];
  const records: CorpusRecord[] = [];
  const byKey = new Map<string, CorpusIndicator>();
  const seen = new Set<string>();
  const DAY = 86_400_000;
  while (records.length < size) {
    const type = pickType();
    const parsed = parseIoc(rawValue[type](), type);
    if (!parsed.ok) continue;
    const { value, normalized } = parsed.ioc;
    const key = `${type}:${normalized}`;
    // Recent-heavy: half of the records are from the last 30 days.
    const age = random() < 0.5 ? random() * 30 * DAY : random() * 365 * DAY;
    const extractedAt = new Date(now - age);
    let indicator = byKey.get(key);
    if (!indicator) {
      indicator = {
        id: indicatorId(type, normalized),
        type,
        value,
        normalized,
        confidence: 'low',
        firstSeen: extractedAt,
        lastSeen: extractedAt,
      };
      byKey.set(key, indicator);
      indicators.push(indicator);
    }
    // 1 to 3 sources report it.
    const reports = random() < 0.85 ? 1 : random() < 0.8 ? 2 : 3;
    for (let r = 0; r < reports && records.length < size; r++) {
      const fromArticle = type === 'cve' || type === 'mitre_attack' || random() < 0.15;
      const article = fromArticle ? pick(articles) : null;
      const sourceIndex = article ? article.sourceIndex : type === 'cve' ? 3 : Math.floor(random() * 3);
      const id = recordId(indicator.id, sources[sourceIndex]!.name, article?.id ?? null);
      if (seen.has(id)) continue;
      seen.add(id);
      const confidence = random() < 0.5 ? 'high' : random() < 0.6 ? 'medium' : 'low';
      if (confidence === 'high' || (confidence === 'medium' && indicator.confidence === 'low')) indicator.confidence = confidence;
      const at = new Date(extractedAt.getTime() + r * 3_600_000);
      if (at > indicator.lastSeen) indicator.lastSeen = at;
      if (at < indicator.firstSeen) indicator.firstSeen = at;
      records.push({
        id,
        indicatorId: indicator.id,
        type,
        sourceIndex,
        articleId: article?.id ?? null,
        origin: article ? 'article' : 'feed',
        confidence,
        context: article ? `${value} was used as ${pick(TAGS)} infrastructure in ${article.title}.` : null,
        tags: random() < 0.7 ? [pick(TAGS), pick(TAGS)].filter((t, i, a) => a.indexOf(t) === i) : [],
        mitre: article && random() < 0.5 ? [pick(TECHNIQUES)] : [],
        industries: article && random() < 0.6 ? [pick(INDUSTRIES)] : [],
        extractedAt: at,
        firstSeen: at,
        lastSeen: at,
      });
    }
  }
  // The technique names exist: keep the import honest.
  for (const t of TECHNIQUES) if (!attackTechnique(t)) throw new Error(`unknown technique ${t}`);
  return { indicators, records, articles, sources };
}

// --- loading ------------------------------------------------------------------------------

/** A CSV cell for COPY: null is an unquoted empty field; everything else is quoted. */
function cell(value: string | null): string {
  return value === null ? '' : `"${value.replace(/"/g, '""')}"`;
}

function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

export const COPY_COLUMNS = {
  articles: 'id, source_id, title, url, published_at',
  indicators: 'id, type, value, value_normalized, confidence, first_seen, last_seen',
  sightings:
    'id, indicator_id, type, source_id, article_id, origin, confidence, context, tags, mitre_techniques, industries, first_seen, last_seen, extracted_at',
};

/** The corpus as COPY-ready CSV, table by table, in chunks of `chunk` rows. */
export function* corpusCsv(corpus: Corpus, sourceIds: number[], chunk = 50_000): Generator<[keyof typeof COPY_COLUMNS, string]> {
  const iso = (d: Date) => d.toISOString();
  const lines = <T>(rows: T[], line: (row: T) => string) => {
    const out: string[] = [];
    for (let i = 0; i < rows.length; i += chunk) out.push(rows.slice(i, i + chunk).map(line).join('\n') + '\n');
    return out;
  };
  for (const text of lines(corpus.articles, (a) =>
    [cell(a.id), sourceIds[a.sourceIndex], cell(a.title), cell(a.url), cell(iso(a.publishedAt))].join(','),
  ))
    yield ['articles', text];
  for (const text of lines(corpus.indicators, (i) =>
    [i.id, i.type, cell(i.value), cell(i.normalized), i.confidence, iso(i.firstSeen), iso(i.lastSeen)].join(','),
  ))
    yield ['indicators', text];
  for (const text of lines(corpus.records, (r) =>
    [
      r.id,
      r.indicatorId,
      r.type,
      sourceIds[r.sourceIndex],
      r.articleId ?? '',
      r.origin,
      r.confidence,
      cell(r.context),
      cell(pgArray(r.tags)),
      cell(pgArray(r.mitre)),
      cell(pgArray(r.industries)),
      iso(r.firstSeen),
      iso(r.lastSeen),
      iso(r.extractedAt),
    ].join(','),
  ))
    yield ['sightings', text];
}
