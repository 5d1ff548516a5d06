// GET /api/v1/iocs/stix as a client reads it (../shared/spec/iocs-stix.md, and README rules 6
// and 9): Pro only; a bundle valid under the official STIX 2.1 schemas and pattern grammar; the
// identity first; one object per distinct indicator with a stable id; the list's filters.
import { beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { indicatorId } from '../../src/ioc/index.js';
import { appSuite, BACKENDS, openTestStore, startTestApp } from '../helpers.js';
import { validateStixBundle } from '../helpers/stix-validate.js';
import { CONTEXT, DAY_MS, expectError, expectInvalidParameter, get, instrument, isoAgo, seedStore, type Seeded } from './seed.js';

interface StixObject {
  type: string;
  id: string;
  spec_version: string;
  created: string;
  modified: string;
  created_by_ref?: string;
  name?: string;
  description?: string;
  pattern?: string;
  pattern_type?: string;
  valid_from?: string;
  confidence?: number;
  labels?: string[];
  relationship_type?: string;
  source_ref?: string;
  target_ref?: string;
  kill_chain_phases?: { kill_chain_name: string; phase_name: string }[];
  external_references?: { source_name: string; external_id?: string; url?: string }[];
}
interface Bundle {
  type: 'bundle';
  id: string;
  objects: StixObject[];
}

/** The objects a bundle holds for IOCs (not the identity, technique objects or relationships). */
const INDICATOR_LIKE = new Set(['indicator', 'vulnerability']);

describe.each(BACKENDS)('GET /api/v1/iocs/stix on %s', (backend) => {
  let seeded: Seeded;
  const { store, t } = appSuite(backend, {
    seed: async (db) => {
      seeded = await seedStore(db);
    },
  });
  let pro: string;
  let free: string;

  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
  });

  async function bundle(query = '', headers: Record<string, string> = {}): Promise<Bundle> {
    const res = await get(t.app, `/api/v1/iocs/stix?${query}`, pro, headers);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as Bundle;
    expect(validateStixBundle(body), query).toEqual([]);
    expect(body.type).toBe('bundle');
    expect(body.id).toMatch(/^bundle--[0-9a-f-]{36}$/);
    expect(body.objects[0]).toMatchObject({ type: 'identity', name: 'SOC Defenders', identity_class: 'organization' });
    expect(body.objects.filter((o) => o.type === 'identity')).toHaveLength(1);
    // Every id once.
    expect(new Set(body.objects.map((o) => o.id)).size).toBe(body.objects.length);
    return body;
  }

  const ofType = (b: Bundle, type: string) => b.objects.filter((o) => o.type === type);
  const stixIdOf = (type: string, normalized: string) => indicatorId(type as never, normalized);
  /** The distinct indicators of the model that pass a filter. */
  const distinct = (keep: (records: Seeded['records']) => boolean) =>
    [...seeded.indicators.entries()].filter(([, records]) => keep(records)).map(([id]) => id);

  it('refuses a free key: 403 insufficient_scope, read:stix required', async () => {
    const error = expectError(await get(t.app, '/api/v1/iocs/stix', free), 403, 'insufficient_scope');
    expect(error.details).toMatchObject({ required_scope: 'read:stix', your_scopes: ['read:iocs'] });
    expect(error.message).toContain('read:stix');
  });

  it('gives a pro key a valid STIX 2.1 bundle: one object per distinct indicator', async () => {
    const res = await get(t.app, '/api/v1/iocs/stix?limit=10000', pro);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const b = await bundle('limit=10000');
    expect(b).not.toHaveProperty('spec_version');
    const identity = b.objects[0]!;
    const iocObjects = b.objects.filter((o) => INDICATOR_LIKE.has(o.type) || (o.type === 'attack-pattern' && seeded.indicators.has(o.id.slice(16))));
    // 141 records, 125 distinct indicators: a value two sources report is one object.
    expect(seeded.indicators.size).toBe(125);
    expect(iocObjects.map((o) => o.id.replace(/^[a-z-]+--/, '')).sort()).toEqual([...seeded.indicators.keys()].sort());
    for (const indicator of ofType(b, 'indicator')) {
      expect(indicator.created_by_ref).toBe(identity.id);
      expect(indicator.pattern_type).toBe('stix');
      expect(indicator.valid_from).toBe(indicator.created);
    }
    const twice = ofType(b, 'indicator').filter((o) => o.pattern === "[ipv4-addr:value = '213.32.252.221']");
    expect(twice).toHaveLength(1);
    // What both records say, merged: the advisory's context, tags and technique, the higher confidence.
    expect(twice[0]).toMatchObject({
      id: `indicator--${stixIdOf('ipv4', '213.32.252.221')}`,
      name: '213.32.252.221',
      description: CONTEXT.outlook,
      labels: expect.arrayContaining(['apt28', 'gru-unit-26165']),
      confidence: 85,
      kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'credential-access' }],
    });
  });

  it('writes the pattern of each type', async () => {
    const b = await bundle('limit=10000');
    const patterns = new Set(ofType(b, 'indicator').map((o) => o.pattern));
    for (const pattern of [
      "[ipv4-addr:value = '221.132.16.23']",
      "[ipv6-addr:value = '2a09:bac5:505c:1eb::31:105']",
      "[domain-name:value = 'grace-tung.com']",
      "[url:value = 'https://sagearcade.top/alias/proxy-worker.js']",
      "[email-addr:value = 'md-shoeb@alfathdoor.com.sa']",
      "[file:hashes.'MD5' = 'a20052c78501ce91feba8ce56a3aa665']",
      "[file:hashes.'SHA-1' = '18b3741afc2712dafb56505b1c1822372b35cc0b']",
      "[file:hashes.'SHA-256' = '217aa6561129b2ca5958da9dde6223908ddbfc978b2b92946cda9e2e35998931']",
    ]) {
      expect(patterns.has(pattern), pattern).toBe(true);
    }
  });

  it('gives the same ids on every request (the bundle id excepted)', async () => {
    const first = await bundle('limit=10000');
    const second = await bundle('limit=10000');
    expect(second.id).not.toBe(first.id);
    expect(second.objects).toEqual(first.objects);
  });

  it('exports a CVE as a vulnerability', async () => {
    const b = await bundle('type=cve');
    expect(b.objects.map((o) => o.type)).toEqual(['identity', 'vulnerability']);
    expect(b.objects[1]).toMatchObject({
      id: `vulnerability--${stixIdOf('cve', 'cve-2023-23397')}`,
      name: 'CVE-2023-23397',
      external_references: [{ source_name: 'cve', external_id: 'CVE-2023-23397' }],
    });
  });

  it('exports an ATT&CK technique IOC as an attack-pattern (type=mitre-attack)', async () => {
    const b = await bundle('type=mitre-attack');
    const patterns = ofType(b, 'attack-pattern');
    expect(b.objects).toHaveLength(3);
    expect(patterns.map((o) => o.name).sort()).toEqual(['Password Spraying', 'Spearphishing Link']);
    for (const [id, url] of [
      ['T1110.003', 'https://attack.mitre.org/techniques/T1110/003'],
      ['T1566.002', 'https://attack.mitre.org/techniques/T1566/002'],
    ] as const) {
      const object = patterns.find((o) => o.external_references?.[0]?.external_id === id)!;
      expect(object.id).toBe(`attack-pattern--${stixIdOf('mitre_attack', id.toLowerCase())}`);
      expect(object.external_references![0]).toEqual({ source_name: 'mitre-attack', external_id: id, url });
    }
    expect((await bundle('type=mitre_attack')).objects).toEqual(b.objects);
  });

  it("links each indicator to its records' techniques: attack-pattern and an indicates relationship", async () => {
    const b = await bundle('type=email');
    const emails = ofType(b, 'indicator');
    expect(emails).toHaveLength(distinct((records) => records[0]!.type === 'email').length);
    const forcedAuth = ofType(b, 'attack-pattern');
    expect(forcedAuth).toHaveLength(1);
    expect(forcedAuth[0]).toMatchObject({
      name: 'Forced Authentication',
      external_references: [{ source_name: 'mitre-attack', external_id: 'T1187' }],
    });
    const relationships = ofType(b, 'relationship');
    expect(relationships).toHaveLength(emails.length);
    expect(new Set(relationships.map((r) => r.source_ref))).toEqual(new Set(emails.map((e) => e.id)));
    for (const relationship of relationships) {
      expect(relationship).toMatchObject({ relationship_type: 'indicates', target_ref: forcedAuth[0]!.id });
    }
    // The technique a record names and the technique reported as an IOC are one object.
    const all = await bundle('limit=10000');
    const spraying = ofType(all, 'attack-pattern').filter((o) => o.external_references?.[0]?.external_id === 'T1110.003');
    expect(spraying).toHaveLength(1);
    const sprayLinks = ofType(all, 'relationship').filter((r) => r.target_ref === spraying[0]!.id);
    expect(sprayLinks).toHaveLength(seeded.records.filter((r) => r.mitreTechniques.includes('T1110.003')).length);
  });

  it('applies the filters, and limit counts indicators', async () => {
    const ipv6 = await bundle('type=ipv6&confidence=low');
    expect(ofType(ipv6, 'indicator')).toHaveLength(3);
    // The three IPv6 records were stored three days ago and are seen now (last_seen): since counts those.
    expect(ofType(await bundle(`type=ipv6&since=${isoAgo(2 * DAY_MS)}`), 'indicator')).toHaveLength(3);
    expect(ofType(await bundle(`type=ipv6&since=${isoAgo(-DAY_MS)}`), 'indicator')).toHaveLength(0);
    const advisory = distinct((records) => records.some((r) => r.industries.includes('transportation')));
    for (const industry of ['transportation', 'transportation-systems']) {
      const b = await bundle(`industry=${industry}&limit=10000`);
      const ids = b.objects.filter((o) => INDICATOR_LIKE.has(o.type) || (o.type === 'attack-pattern' && advisory.includes(o.id.slice(16))));
      expect(ids.map((o) => o.id.replace(/^[a-z-]+--/, '')).sort(), industry).toEqual([...advisory].sort());
    }
    const high = await bundle('confidence=high&type=ipv4');
    expect(ofType(high, 'indicator').map((o) => o.name).sort()).toEqual(['124.168.91.178', '159.196.128.120', '194.126.178.8', '213.32.252.221']);
    expect((await bundle('industry=finance')).objects).toHaveLength(1);

    const five = await bundle('type=ipv4&limit=5');
    expect(ofType(five, 'indicator')).toHaveLength(5);
    const next = await bundle('type=ipv4&limit=5&offset=5');
    expect(ofType(next, 'indicator')).toHaveLength(5);
    const tenIds = [...ofType(five, 'indicator'), ...ofType(next, 'indicator')].map((o) => o.id);
    expect(new Set(tenIds).size).toBe(10);
    expect(ofType(await bundle('type=ipv4&limit=10'), 'indicator').map((o) => o.id)).toEqual(tenIds);
  });

  it('since gives the indicators added or updated after it: an incremental export', async () => {
    // A fresh store: two of the operator's values, stored ten days ago and last seen then.
    const fresh = await openTestStore(backend);
    const app = await startTestApp(fresh);
    try {
      const key = await app.key('pro');
      const tenDaysAgo = new Date(Date.now() - 10 * DAY_MS);
      const [a, b] = ['221.132.16.23', 'grace-tung.com'];
      await importIocList(fresh.db, `${a}\n${b}\n`, { source: 'Ops', now: tenDaysAgo });
      await fresh.db.query(`update sightings set extracted_at = $1`, [tenDaysAgo]);
      // Their validity was computed then too, by the publisher that followed the write.
      await fresh.db.query(`update indicators set lifecycle_at = $1`, [tenDaysAgo]);
      const lastRun = isoAgo(DAY_MS);
      const exported = async () => {
        const res = await get(app.app, `/api/v1/iocs/stix?since=${lastRun}`, key);
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json() as Bundle;
        expect(validateStixBundle(body)).toEqual([]);
        return ofType(body, 'indicator');
      };
      expect(await exported()).toEqual([]);

      // One of them is seen again now: the next export since the last run carries it, newer.
      await importIocList(fresh.db, `${a}\n`, { source: 'Ops' });
      const changed = await exported();
      expect(changed.map((o) => o.name)).toEqual([a]);
      expect(Date.parse(changed[0]!.modified)).toBeGreaterThanOrEqual(Date.parse(lastRun));
      // The list's since stays on when a record was stored (iocs-list.md): nothing new there.
      const list = await get(app.app, `/api/v1/iocs?since=${lastRun}`, key);
      expect((list.json() as { meta: { total: number } }).meta.total).toBe(0);
    } finally {
      await app.close();
      await fresh.close();
    }
  });

  it('answers application/stix+json when asked for it', async () => {
    const res = await get(t.app, '/api/v1/iocs/stix?type=cve', pro, { accept: 'application/stix+json;version=2.1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/stix\+json; ?version=2\.1$/);
    expect(validateStixBundle(res.json())).toEqual([]);
  });

  it('answers 500 internal_error, never a truncated bundle, when the database fails', async () => {
    const probe = instrument(store.db);
    const app = await startTestApp({ ...store, db: probe.db }, { keyCacheTtlMs: 60_000 });
    try {
      const key = await app.key('pro');
      expect((await get(app.app, '/api/v1/iocs/stix?limit=1', key)).statusCode).toBe(200);
      // At the first query, and at the summaries of the first batch.
      for (const okBeforeFailing of [0, 1]) {
        probe.state.okBeforeFailing = okBeforeFailing;
        expectError(await get(app.app, '/api/v1/iocs/stix', key), 500, 'internal_error');
      }
    } finally {
      probe.state.okBeforeFailing = Infinity;
      await app.close();
    }
  });

  it('rejects bad parameters with 400 naming them', async () => {
    const type = expectInvalidParameter(await get(t.app, '/api/v1/iocs/stix?type=hash', pro), 'type');
    expect(type.valid_types).toEqual(expect.arrayContaining(['ipv4', 'mitre_attack', 'mitre-attack']));
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/stix?limit=0', pro), 'limit');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/stix?since=last-week', pro), 'since');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/stix?industry=space', pro), 'industry');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/stix?format=csv', pro), 'format');
  });
});
