// The data the HTTP suites run on, all of it real (see test/fixtures/README.md), and a model of
// what the store should then hold, built in plain TypeScript from the same inputs, so that the
// suites compare the API's answers with the model rather than with the store's own SQL.
//
// - "Ops blocklist": the operator's list (import/operator-list.txt), imported now; 55 records.
// - "CISA Cybersecurity Advisories": advisory AA25-141A as an article, its 78 IOCs (13 e-mail
//   addresses and 4 IPs of the Outlook CVE exploitation list, 61 brute-forcing IPs), the CVE and
//   two ATT&CK techniques it names; industries transportation and technology; stored now.
// - "MYIP.MS blacklist": three IPv6 addresses of a public abuse list, low confidence, imported
//   three days ago (extracted_at moved back), so a free key (1-day lookback) never sees them.
// - CSV_INJECTION_SOURCE: two values of the operator's list imported again under a source name
//   that is a spreadsheet formula, as a list pasted from a spreadsheet may carry.
import crypto from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { parseIocList } from '../../src/ingest/parsers/ioc-list.js';
import { indicatorId, parseIoc, recordId } from '../../src/ioc/index.js';
import type { Category, Confidence, IocType, NormalizedIoc, Origin } from '../../src/ioc/types.js';
import { upsertArticle } from '../../src/store/articles.js';
import type { Db } from '../../src/store/db.js';
import { upsertRecords, type NewRecord } from '../../src/store/upsert.js';
import type { SourceRef } from '../../src/store/sources.js';
import { refreshStats } from '../../src/store/stats.js';
import { readFixture } from '../helpers.js';

export const OPS_SOURCE = 'Ops blocklist';
export const CISA_SOURCE = 'CISA Cybersecurity Advisories';
export const IPV6_SOURCE = 'MYIP.MS blacklist';
/** The classic DDE payload (OWASP "CSV Injection"), as a source name. */
export const CSV_INJECTION_SOURCE = "=cmd|' /C calc'!A0";
/** Two ThreatFox IPs of the operator's list, reported again by CSV_INJECTION_SOURCE. */
export const CSV_INJECTION_VALUES = ['221.132.16.23', '146.56.205.231'];
export const IPV6_AGE_DAYS = 3;

interface AdvisoryFixture {
  advisory_id: string;
  title: string;
  advisory_url: string;
  published: string;
  expected_iocs: { type: IocType; value: string; as_written: string }[];
}
export const ADVISORY = JSON.parse(readFixture('advisories/aa25-141a.expected.json')) as AdvisoryFixture;
export const ADVISORY_TEXT = readFixture('advisories/aa25-141a.txt');
export const ADVISORY_INDUSTRIES = ['transportation', 'technology'];
/** The actor, by the names the advisory gives it. */
export const ADVISORY_TAGS = ['apt28', 'gru-unit-26165'];
/** The advisory's Outlook CVE exploitation list: the first 13 e-mail addresses and 4 IPs of the fixture. */
const OUTLOOK_LIST_SIZE = 17;

// Sentences of the advisory text, used as the records' context (checked against the text below).
export const CONTEXT = {
  outlook:
    'Throughout this campaign, GRU unit 26165 weaponized an Outlook NTLM vulnerability (CVE-2023-23397) to collect ' +
    'NTLM hashes and credentials via specially crafted Outlook calendar appointment invitations [T1187].',
  bruteForce:
    'Disclaimer: These IP addresses date June 2024 through August 2024. The authoring agencies recommend ' +
    'organizations investigate or vet these IP addresses prior to taking action, such as blocking.',
  passwordSpray: 'Used brute force to gain initial access to targeted entities. Conducted a brute force password spray via LDAP.',
  spearphishingLink:
    'GRU unit 26165 actors’ spearphishing emails included links [T1566.002] leading to fake login pages impersonating ' +
    'a variety of government entities and Western cloud email providers’ webpages.',
};

/** One record as the store should hold it. */
export interface ModelRecord {
  id: string;
  indicatorId: string;
  type: IocType;
  value: string;
  normalized: string;
  confidence: Confidence;
  source: string;
  category: Category;
  origin: Origin;
  articleId: string | null;
  context: string | null;
  tags: string[];
  mitreTechniques: string[];
  industries: string[];
  /** Stored within the last day (false: IPV6_AGE_DAYS ago). */
  recent: boolean;
}

export interface Seeded {
  records: ModelRecord[];
  article: { id: string; title: string; url: string };
  /** The distinct indicators, by id. */
  indicators: Map<string, ModelRecord[]>;
}

function mustParse(raw: string): NormalizedIoc {
  const parsed = parseIoc(raw);
  if (!parsed.ok) throw new Error(`fixture value ${raw} does not parse: ${parsed.reason}`);
  return parsed.ioc;
}

function modelOfImport(text: string, source: string, confidence: Confidence, recent: boolean): ModelRecord[] {
  const byId = new Map<string, ModelRecord>();
  for (const row of parseIocList(text).rows) {
    const indicator = indicatorId(row.ioc.type, row.ioc.normalized);
    const id = recordId(indicator, source, null);
    byId.set(id, {
      id,
      indicatorId: indicator,
      type: row.ioc.type,
      value: row.ioc.value,
      normalized: row.ioc.normalized,
      confidence,
      source,
      category: 'threat-intel',
      origin: 'import',
      articleId: null,
      context: null,
      tags: [],
      mitreTechniques: [],
      industries: [],
      recent,
    });
  }
  return [...byId.values()];
}

/** Imports a list under one source; returns the records the store should then hold. */
export async function importAndModel(
  db: Db,
  text: string,
  source: string,
  confidence: Confidence,
  recent = true,
): Promise<ModelRecord[]> {
  const summary = await importIocList(db, text, { source, confidence });
  const model = modelOfImport(text, source, confidence, recent);
  if (summary.inserted !== model.length) throw new Error(`${source}: ${summary.inserted} records stored, ${model.length} expected`);
  return model;
}

/** The advisory as the article pipeline would store it: the article, then its IOCs as one batch. */
async function seedAdvisory(db: Db): Promise<{ records: ModelRecord[]; article: Seeded['article'] }> {
  for (const sentence of Object.values(CONTEXT)) {
    if (!ADVISORY_TEXT.includes(sentence)) throw new Error(`context not in the advisory text: ${sentence}`);
  }
  const [source] = await db.query<SourceRef>(
    `insert into sources (name, kind, url, category) values ($1, 'rss', 'https://www.cisa.gov/cybersecurity-advisories/all.xml', 'government')
     returning id, name, category`,
    [CISA_SOURCE],
  );
  const article = {
    id: await upsertArticle(db, {
      id: crypto.randomUUID(),
      sourceId: source!.id,
      title: ADVISORY.title,
      url: ADVISORY.advisory_url,
      publishedAt: new Date(ADVISORY.published),
    }),
    title: ADVISORY.title,
    url: ADVISORY.advisory_url,
  };
  const published = new Date(ADVISORY.published);
  type Entry = { ioc: NormalizedIoc; confidence: Confidence; context: string; mitre: string[] };
  const entries: Entry[] = ADVISORY.expected_iocs.map((ioc, index) => {
    const outlook = index < OUTLOOK_LIST_SIZE;
    return {
      ioc: mustParse(ioc.as_written),
      // The advisory asks to vet the brute-forcing IPs before blocking them.
      confidence: outlook ? 'high' : 'medium',
      context: outlook ? CONTEXT.outlook : CONTEXT.bruteForce,
      mitre: outlook ? ['T1187'] : ['T1110.003'],
    };
  });
  entries.push(
    { ioc: mustParse('CVE-2023-23397'), confidence: 'high', context: CONTEXT.outlook, mitre: [] },
    { ioc: mustParse('T1110.003'), confidence: 'high', context: CONTEXT.passwordSpray, mitre: [] },
    { ioc: mustParse('T1566.002'), confidence: 'high', context: CONTEXT.spearphishingLink, mitre: [] },
  );
  const records: NewRecord[] = entries.map((entry) => ({
    ioc: entry.ioc,
    confidence: entry.confidence,
    firstSeen: published,
    lastSeen: published,
    context: entry.context,
    tags: ADVISORY_TAGS,
    mitreTechniques: entry.mitre,
    industries: ADVISORY_INDUSTRIES,
    articleId: article.id,
  }));
  const counts = await upsertRecords(db, source!, 'article', records);
  if (counts.inserted !== entries.length) throw new Error(`advisory: ${counts.inserted} records stored, ${entries.length} expected`);
  return {
    article,
    records: entries.map((entry) => {
      const indicator = indicatorId(entry.ioc.type, entry.ioc.normalized);
      return {
        id: recordId(indicator, CISA_SOURCE, article.id),
        indicatorId: indicator,
        type: entry.ioc.type,
        value: entry.ioc.value,
        normalized: entry.ioc.normalized,
        confidence: entry.confidence,
        source: CISA_SOURCE,
        category: 'government',
        origin: 'article',
        articleId: article.id,
        context: entry.context,
        tags: ADVISORY_TAGS,
        mitreTechniques: entry.mitre,
        industries: ADVISORY_INDUSTRIES,
        recent: true,
      };
    }),
  };
}

export async function seedStore(db: Db): Promise<Seeded> {
  // The model predates the lifecycle: nothing of it expires (the advisory's IPs were last seen in
  // 2025), so every list holds what it says. Expiry is tested on stores of its own (lifecycle.test.ts).
  await db.query("update lifetimes set lifetime_days = null, updated_by = 'test seed'");
  const records: ModelRecord[] = [];
  records.push(...(await importAndModel(db, readFixture('import/operator-list.txt'), OPS_SOURCE, 'medium')));
  const advisory = await seedAdvisory(db);
  records.push(...advisory.records);
  records.push(...(await importAndModel(db, readFixture('import/myipms-ipv6-2024-03-22.txt'), IPV6_SOURCE, 'low', false)));
  await db.query(
    `update sightings set extracted_at = extracted_at - make_interval(days => $2)
     where source_id = (select id from sources where name = $1)`,
    [IPV6_SOURCE, IPV6_AGE_DAYS],
  );
  records.push(...(await importAndModel(db, CSV_INJECTION_VALUES.join('\n'), CSV_INJECTION_SOURCE, 'medium')));
  await refreshStats(db);

  const indicators = new Map<string, ModelRecord[]>();
  for (const record of records) indicators.set(record.indicatorId, [...(indicators.get(record.indicatorId) ?? []), record]);
  return { records, article: advisory.article, indicators };
}

// --- a database that can be watched and made to fail ----------------------------------------

/**
 * A Db that counts its queries, records the statements it runs itself and in bounded transactions
 * (not in transactions or sessions), and can be made to fail, to show what a request touches:
 * `okBeforeFailing` more queries succeed, then every one fails (Infinity: none fails).
 */
export function instrument(db: Db) {
  const state = { queries: 0, okBeforeFailing: Infinity, statements: [] as { sql: string; params: readonly unknown[] }[] };
  const check = () => {
    state.queries++;
    if (state.okBeforeFailing-- <= 0) throw new Error('the database is unreachable');
  };
  const wrapped: Db = {
    kind: db.kind,
    query: async (sql, params) => {
      check();
      state.statements.push({ sql, params: params ?? [] });
      return db.query(sql, params);
    },
    script: async (sql) => {
      check();
      return db.script(sql);
    },
    transaction: async (fn) => {
      check();
      return db.transaction(fn);
    },
    session: async (fn) => {
      check();
      return db.session(fn);
    },
    bounded: async (limits, fn) => {
      check();
      return db.bounded(limits, (tx) =>
        fn({
          ...tx,
          query: (sql, params) => {
            state.statements.push({ sql, params: params ?? [] });
            return tx.query(sql, params);
          },
        }),
      );
    },
    listen: (channel, handlers) => db.listen(channel, handlers),
    close: () => db.close(),
  };
  return { db: wrapped, state };
}

// --- requests, as a client of the API makes them ----------------------------------------------

export function get(app: FastifyInstance, url: string, key?: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }), ...headers } });
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  request_id: string;
}

/** Checks the documented error envelope and returns its `error`. */
export function expectError(res: LightMyRequestResponse, status: number, code: string): ErrorBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { error: ErrorBody };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.request_id).toEqual(expect.any(String));
  expect(body.error.request_id).toBe(res.headers['x-request-id']);
  return body.error;
}

/** An invalid_parameter error naming `parameter`; returns its details. */
export function expectInvalidParameter(res: LightMyRequestResponse, parameter: string): Record<string, unknown> {
  const error = expectError(res, 400, 'invalid_parameter');
  expect(error.details?.parameter).toBe(parameter);
  return error.details!;
}

/** An ISO 8601 UTC time within `slackMs` of `expected`. */
export function expectTimeNear(text: unknown, expected: number, slackMs: number): void {
  expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  expect(Math.abs(Date.parse(text as string) - expected)).toBeLessThanOrEqual(slackMs);
}

export const DAY_MS = 86_400_000;

export function isoAgo(ms: number, now = Date.now()): string {
  return new Date(now - ms).toISOString();
}

/** How many records of each value of `key`. */
export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

// --- records as the API returns them --------------------------------------------------------

export interface ApiRecord {
  id: string;
  type: string;
  value: string;
  confidence: string;
  first_seen: string;
  last_seen: string;
  source: {
    article_id: string | null;
    article_title: string | null;
    article_url: string | null;
    reference_url: string | null;
    feed_name: string;
    category: string;
    origin: string;
  };
  context?: string | null;
  tags: string[];
  mitre_techniques: string[];
  similarity?: number;
}

export const RECORD_FIELDS = ['id', 'type', 'value', 'confidence', 'first_seen', 'last_seen', 'source', 'context', 'tags', 'mitre_techniques'];
export const SOURCE_FIELDS = ['article_id', 'article_title', 'article_url', 'reference_url', 'feed_name', 'category', 'origin'];
const SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/**
 * Checks one record of the API against the model: every documented field, with the value the
 * source gave it. Imported records were first seen when imported (between `seededFrom` and now).
 */
export function expectRecordAsModelled(record: ApiRecord, model: ModelRecord, seeded: Seeded, seededFrom: number, withContext = true): void {
  // `similarity` is the fuzzy stage's own addition.
  expect(Object.keys(record).filter((key) => key !== 'similarity').sort()).toEqual((withContext ? RECORD_FIELDS : RECORD_FIELDS.filter((f) => f !== 'context')).sort());
  expect(Object.keys(record.source).sort()).toEqual([...SOURCE_FIELDS].sort());
  expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect({
    id: record.id,
    type: record.type,
    value: record.value,
    confidence: record.confidence,
    tags: [...record.tags].sort(),
    mitre_techniques: [...record.mitre_techniques].sort(),
    feed_name: record.source.feed_name,
    category: record.source.category,
    origin: record.source.origin,
    article_id: record.source.article_id,
    article_title: record.source.article_title,
    // The article's page here (decision 11), under the links' base; the publisher's URL beside it.
    article_page: record.source.article_url && new URL(record.source.article_url).pathname,
    reference_url: record.source.reference_url,
  }).toEqual({
    id: model.id,
    type: model.type,
    value: model.value,
    confidence: model.confidence,
    tags: [...model.tags].sort(),
    mitre_techniques: [...model.mitreTechniques].sort(),
    feed_name: model.source,
    category: model.category,
    origin: model.origin,
    article_id: model.articleId,
    article_title: model.articleId ? seeded.article.title : null,
    article_page: model.articleId ? `/item/${model.articleId}` : null,
    reference_url: model.articleId ? seeded.article.url : null,
  });
  if (withContext) expect(record.context).toBe(model.context);
  expect(record.first_seen).toMatch(SECONDS);
  expect(record.last_seen).toMatch(SECONDS);
  if (model.articleId) {
    // The advisory's publication time, as the article pipeline records it.
    expect(record.first_seen).toBe('2025-05-12T16:49:12Z');
    expect(record.last_seen).toBe('2025-05-12T16:49:12Z');
  } else {
    const firstSeen = Date.parse(record.first_seen);
    expect(firstSeen).toBeGreaterThanOrEqual(Math.floor(seededFrom / 1000) * 1000);
    expect(firstSeen).toBeLessThanOrEqual(Date.now());
    expect(record.last_seen).toBe(record.first_seen);
  }
}
