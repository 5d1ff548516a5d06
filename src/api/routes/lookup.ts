// GET /api/v1/lookup?value=…: one value answered as a whole: what it is, every source that
// reported it (within the key's lookback), its articles, tags, techniques and CVEs, related
// IOCs of the same article and feed entry, the warning list's verdict, where it stands in its
// lifecycle (valid until, expired, revoked), a risk score that explains itself and hunting
// queries ready to paste. Free tier allowed.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { HUNTING_LANGUAGES, huntingQueries, type HuntingQueries } from '../../export/hunting.js';
import { attackTechnique, attackTechniqueUrl } from '../../ioc/attack.js';
import { describeDecayTable } from '../../ioc/decay.js';
import { indicatorId, parseIoc } from '../../ioc/index.js';
import { RISK_LEVELS, describeRiskModel, scoreRisk } from '../../ioc/risk.js';
import { CATEGORIES, CONFIDENCES, IOC_TYPES, ORIGINS, type Confidence } from '../../ioc/types.js';
import { warningFor } from '../../ioc/warninglist.js';
import type { Config } from '../../config.js';
import type { Db } from '../../store/db.js';
import { maxConfidence } from '../../store/upsert.js';
import { MAX_LOOKUP_RELATED, MAX_LOOKUP_SIGHTINGS, MAX_OMITTED_COUNT, lookupRecords, lookupRelated, type LookupRecord, type RelatedIoc } from '../../store/lookup.js';
import { InvalidParameterError } from '../errors.js';
import { articlePageUrl, linkBase } from '../links.js';
import { lookbackStart } from '../filters.js';
import { AuthQuery, AUTHENTICATED_ERRORS, IocLifecycleSchema, Nullable, StringEnum } from '../schemas.js';
import { FEED_META } from './iocs.js';

/** The longest value looked up (URLs are capped at the same length when stored). */
export const MAX_LOOKUP_VALUE = 2048;
export const WARNING_LIST_NAME = 'SOC Defenders warning list';

// --- schemas (the OpenAPI document is generated from them) -----------------------------------

const Time = (description?: string) => Type.String({ format: 'date-time', ...(description && { description }) });

export const LookupQuery = Type.Object(
  {
    value: Type.String({
      minLength: 1,
      maxLength: MAX_LOOKUP_VALUE,
      description: 'Any IOC value: IP address or network, domain, URL, MD5/SHA-1/SHA-256/SHA-512, e-mail, CVE or ATT&CK id. Defanged input (`hxxp`, `[.]`…) is accepted.',
    }),
    include_hunting: Type.Optional(Type.Boolean({ default: true, description: 'Whether to include the hunting queries.' })),
    api_key: AuthQuery.properties.api_key,
  },
  { additionalProperties: false },
);
export type LookupQuery = Static<typeof LookupQuery>;

const ArticleRef = Type.Object({
  id: Type.String({ format: 'uuid' }),
  title: Nullable(Type.String()),
  url: Type.String({ description: "The article's page on this service (`<base>/item/<id>`)." }),
  reference_url: Nullable(Type.String({ description: "The publisher's original URL." })),
});

const LookupSource = Type.Object({
  record_id: Type.String({ format: 'uuid', description: 'The IOC record (as the list and search return it).' }),
  source: Type.String(),
  category: StringEnum([...CATEGORIES]),
  kind: Type.String({ description: "The source's feed format (threatfox-json, rss…), or `import` for an operator's list." }),
  origin: StringEnum([...ORIGINS]),
  confidence: StringEnum([...CONFIDENCES]),
  first_seen: Time(),
  last_seen: Time(),
  extracted_at: Time('When this service stored the record: the lookback reads it.'),
  context: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  mitre_techniques: Type.Array(Type.String()),
  ports: Type.Array(Type.Integer()),
  reference_url: Nullable(Type.String({ description: 'The upstream page for this record (a ThreatFox or URLhaus entry).' })),
  entry: Nullable(Type.String({ description: "The feed's own key for what it reported together (related.same_entry)." })),
  article: Nullable(ArticleRef),
});

const Related = Type.Object({
  id: Type.String({ format: 'uuid', description: "The related indicator's id." }),
  type: StringEnum([...IOC_TYPES]),
  value: Type.String(),
  confidence: StringEnum([...CONFIDENCES]),
  first_seen: Time(),
  last_seen: Time(),
  source: Type.String(),
  article_id: Nullable(Type.String({ format: 'uuid' })),
  entry: Nullable(Type.String()),
});

const Hunting = Type.Object({ query: Nullable(Type.String()), note: Type.String() });

export const LookupResponse = Type.Object({
  meta: Type.Object({
    generated_at: Time(),
    feed_version: Type.String(),
    source: Type.String(),
    lookback_days: Type.Integer({ description: "Your tier's lookback: records stored before `since` are left out." }),
    since: Time(),
    notices: Type.Optional(Type.Array(Type.String(), { description: 'What was left out, and why.' })),
  }),
  data: Type.Object({
    query: Type.String(),
    known: Type.Boolean({ description: 'Whether any source reported the value (even if only before your lookback: see `omitted`).' }),
    type: StringEnum([...IOC_TYPES], { description: 'The detected type.' }),
    value: Type.String({ description: 'The canonical value (refanged, normalized).' }),
    normalized: Type.String({ description: 'The lookup key.' }),
    normalization_notes: Type.Array(Type.String()),
    indicator_id: Type.String({ format: 'uuid', description: 'Stable: derived from type and normalized value, as in every export.' }),
    first_seen: Nullable(Time()),
    last_seen: Nullable(Time()),
    confidence: Nullable(StringEnum([...CONFIDENCES], { description: 'The highest a source gives it.' })),
    sources: Type.Array(LookupSource, { description: `Each record (a source's report) you can see, newest first, at most ${MAX_LOOKUP_SIGHTINGS}.` }),
    articles: Type.Array(Type.Intersect([ArticleRef, Type.Object({ source: Type.String() })])),
    tags: Type.Array(Type.String()),
    mitre_techniques: Type.Array(
      Type.Object({ id: Type.String(), name: Nullable(Type.String()), url: Type.String() }),
      { description: "The records' techniques and those their articles name." },
    ),
    cves: Type.Array(Type.String(), { description: "The CVEs the value's articles name." }),
    related: Type.Object({
      same_article: Type.Array(Related, { description: `Up to ${MAX_LOOKUP_RELATED} IOCs of the same articles, best first.` }),
      same_entry: Type.Array(Related, { description: `Up to ${MAX_LOOKUP_RELATED} IOCs of the same feed entries (e.g. a ThreatFox submission's C2 and sample hash).` }),
    }),
    warning_list: Nullable(
      Type.Object({ list: Type.String(), reason: Type.String() }, { description: 'When the value is a known benign or reserved value.' }),
    ),
    lifecycle: Nullable(IocLifecycleSchema),
    risk: Type.Object({
      score: Type.Integer({ minimum: 0, maximum: 100 }),
      level: StringEnum([...RISK_LEVELS]),
      scored: Type.Boolean({ description: 'False for a type that is not scored (ATT&CK techniques).' }),
      decay: Type.Object({
        half_life_days: Nullable(Type.Number({ description: "The type's half-life in force (the lifetimes table's); null: no decay." })),
        age_days: Nullable(Type.Number()),
      }),
      factors: Type.Array(
        Type.Object({
          name: Type.String(),
          value: Type.Unknown({ description: 'The fact the factor read.' }),
          contribution: Type.Integer({ description: 'Points; the contributions sum to the score.' }),
          explanation: Type.String(),
        }),
      ),
    }),
    hunting: Type.Optional(Type.Object(Object.fromEntries(HUNTING_LANGUAGES.map((language) => [language, Hunting])))),
    omitted: Type.Object({
      sightings_outside_lookback: Type.Integer({ description: `Records stored before \`meta.since\`, counted up to ${MAX_OMITTED_COUNT}.` }),
      sightings_outside_lookback_at_least: Type.Boolean({ description: `True when there are more than ${MAX_OMITTED_COUNT}.` }),
      sightings_beyond_limit: Type.Boolean({ description: `True when more than ${MAX_LOOKUP_SIGHTINGS} records are within the lookback (the newest are listed).` }),
    }),
  }),
});
type LookupBody = Static<typeof LookupResponse>;

// --- the answer ------------------------------------------------------------------------------

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

function toSource(record: LookupRecord, itemUrl: (id: string) => string): LookupBody['data']['sources'][number] {
  return {
    record_id: record.id,
    source: record.source,
    category: record.category,
    kind: record.source_kind,
    origin: record.origin,
    confidence: record.confidence,
    first_seen: record.first_seen,
    last_seen: record.last_seen,
    extracted_at: record.extracted_at,
    context: record.context,
    tags: record.tags,
    mitre_techniques: record.mitre_techniques,
    ports: record.ports,
    reference_url: record.reference_url,
    entry: record.entry,
    article:
      record.article_id === null
        ? null
        : { id: record.article_id, title: record.article_title, url: itemUrl(record.article_id), reference_url: record.article_reference_url },
  };
}

const toRelated = (ioc: RelatedIoc): LookupBody['data']['related']['same_article'][number] => ({ ...ioc });

export interface LookupRoutesOptions {
  db: Db;
  /** PUBLIC_URL and TRUST_PROXY: the base of the articles' links (`<base>/item/<id>`). */
  config: Pick<Config, 'publicUrl' | 'trustProxy'>;
}

export const lookupRoutes: FastifyPluginAsync<LookupRoutesOptions> = async (fastify, { db, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/lookup',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['Lookup'],
        summary: 'Look up one IOC: sources, context, related IOCs, risk score and hunting queries',
        description: [
          'Detects the type of `value` (defanged input is refanged first, as the search does), normalizes it and answers for ' +
            'the indicator as a whole: every source that reported it with its own first/last seen, confidence and context, ' +
            'its articles, tags, ATT&CK techniques (with names), CVEs, related IOCs of the same articles and feed entries, ' +
            'the warning list\'s verdict, and where the value stands in its lifecycle (`lifecycle`: valid until when, or ' +
            'expired or revoked, when and why: an expired or revoked value stays findable here). Records stored before your tier\'s lookback are left out, and ' +
            '`omitted` and `meta.notices` say how many. A value nobody reported still answers 200 with `known: false`, its ' +
            'type and hunting queries; a value that is no IOC is a 400 naming `value` with the reason.',
          '',
          describeRiskModel(),
          '',
          'Half-lives per type (the age decay).',
          '',
          describeDecayTable(),
          '',
          'Hunting queries: Splunk SPL (CIM fields), KQL for Microsoft Sentinel / Defender, Elastic KQL and ES|QL (ECS ' +
            'fields), and the Sigma export\'s rule for the value (none for types the Sigma export has no log source for). ' +
            'The value is always a string literal escaped by each language\'s rules.',
        ].join('\n'),
        operationId: 'lookupIOC',
        querystring: LookupQuery,
        response: { 200: LookupResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request): Promise<LookupBody> => {
      const { value: query, include_hunting: includeHunting = true } = request.query;
      const parsed = parseIoc(query);
      if (!parsed.ok) {
        throw new InvalidParameterError('value', `Invalid value for 'value': ${parsed.reason}.`, { reason: parsed.reason });
      }
      const { ioc } = parsed;
      const tier = request.apiKey!.tier;
      const now = new Date();
      // The lookback reads when a record was stored (extracted_at), as the list's `since` does.
      const since = lookbackStart(tier, now);
      const found = await lookupRecords(db, ioc.normalized, ioc.type, since);
      const related = await lookupRelated(db, found, since);
      const base = linkBase(request, config.publicUrl, config.trustProxy);
      const itemUrl = (id: string) => articlePageUrl(base, id);
      const { records } = found;

      const articles = new Map<string, LookupBody['data']['articles'][number]>();
      for (const record of records) {
        if (record.article_id === null || articles.has(record.article_id)) continue;
        articles.set(record.article_id, {
          id: record.article_id,
          title: record.article_title,
          url: itemUrl(record.article_id),
          reference_url: record.article_reference_url,
          source: record.source,
        });
      }
      const techniqueIds = unique([
        ...records.flatMap((r) => r.mitre_techniques),
        ...related.articleTerms.filter((t) => t.type === 'mitre_attack').map((t) => t.value),
        ...(ioc.type === 'mitre_attack' ? [ioc.value] : []),
      ]);
      const cves = unique([...(ioc.type === 'cve' ? [ioc.value] : []), ...related.articleTerms.filter((t) => t.type === 'cve').map((t) => t.value)]);
      const warning = warningFor(ioc.type, ioc.normalized) ?? found.suppressedReason ?? undefined;
      const confidence = records.reduce<Confidence | null>(
        (best, r) => (best === null ? r.confidence : maxConfidence(best, r.confidence)),
        null,
      );
      const risk = scoreRisk({
        type: ioc.type,
        sightings: records.map((r) => ({ source: r.source, category: r.category, origin: r.origin, confidence: r.confidence, lastSeen: new Date(r.last_seen) })),
        warning,
        now,
        halfLifeDays: found.halfLifeDays,
        lifecycle: found.lifecycle,
      });
      const firstSeen = records.reduce<string | null>((min, r) => (min === null || r.first_seen < min ? r.first_seen : min), null);
      const lastSeen = records.reduce<string | null>((max, r) => (max === null || r.last_seen > max ? r.last_seen : max), null);

      const notices: string[] = [];
      if (found.omitted > 0) {
        const count = found.omitted > MAX_OMITTED_COUNT ? `More than ${MAX_OMITTED_COUNT}` : String(found.omitted);
        notices.push(
          `${count} older record${found.omitted === 1 ? '' : 's'} of this value, stored before ${since.toISOString()}, ` +
            `${found.omitted === 1 ? 'is' : 'are'} outside the ${tier.name} tier's ${tier.lookback_days}-day lookback and left out ` +
            '(the sources, the score and the related IOCs count only what you can see).',
        );
      }
      if (found.truncated) notices.push(`More than ${MAX_LOOKUP_SIGHTINGS} records are within the lookback: the ${MAX_LOOKUP_SIGHTINGS} most recently seen are listed.`);
      const otherTypes = found.indicators.filter((i) => i.type !== ioc.type).map((i) => i.type);
      if (otherTypes.length > 0) notices.push(`The value is also stored as ${otherTypes.join(', ')}: its records of those types are listed too.`);

      let hunting: HuntingQueries | undefined;
      if (includeHunting) {
        hunting = huntingQueries(
          {
            type: ioc.type,
            value: ioc.value,
            confidence: confidence ?? 'low',
            ...(firstSeen !== null && { firstSeen: new Date(firstSeen) }),
            ...(lastSeen !== null && { lastSeen: new Date(lastSeen) }),
            techniques: techniqueIds,
            references: unique(records.flatMap((r) => [r.article_reference_url, r.reference_url].filter((u): u is string => u !== null))),
          },
          now,
        );
      }

      return {
        meta: {
          generated_at: now.toISOString(),
          ...FEED_META,
          lookback_days: tier.lookback_days,
          since: since.toISOString(),
          ...(notices.length > 0 && { notices }),
        },
        data: {
          query,
          known: found.indicators.length > 0 && (records.length > 0 || found.omitted > 0),
          type: ioc.type,
          value: ioc.value,
          normalized: ioc.normalized,
          normalization_notes: ioc.notes,
          indicator_id: indicatorId(ioc.type, ioc.normalized),
          first_seen: firstSeen,
          last_seen: lastSeen,
          confidence,
          sources: records.map((r) => toSource(r, itemUrl)),
          articles: [...articles.values()],
          tags: unique(records.flatMap((r) => r.tags)),
          mitre_techniques: techniqueIds.map((id) => ({ id, name: attackTechnique(id)?.name ?? null, url: attackTechniqueUrl(id) })),
          cves,
          related: { same_article: related.sameArticle.map(toRelated), same_entry: related.sameEntry.map(toRelated) },
          warning_list: warning === undefined ? null : { list: WARNING_LIST_NAME, reason: warning },
          lifecycle: found.lifecycle,
          risk,
          ...(hunting && { hunting }),
          omitted: {
            sightings_outside_lookback: Math.min(found.omitted, MAX_OMITTED_COUNT),
            sightings_outside_lookback_at_least: found.omitted > MAX_OMITTED_COUNT,
            sightings_beyond_limit: found.truncated,
          },
        },
      };
    },
  );
};
