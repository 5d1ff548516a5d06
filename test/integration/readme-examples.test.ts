// The README's request examples, as a new user pastes them after `npm start`: each is run
// against the service over the bundled snapshot (what a first start loads), with the admin
// key, and must answer 200 with data.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syncSourceCatalogue } from '../../src/ingest/setup.js';
import { loadSnapshot } from '../../src/ingest/snapshot.js';
import { refreshStats } from '../../src/store/stats.js';
import { appSuite, REPO_ROOT } from '../helpers.js';

interface Example {
  line: string;
  url: URL;
  header: string;
  method: 'GET' | 'POST';
  body?: string;
}

/** Every `curl` line of the README's shell blocks: its URL and the header that carries $KEY. */
function readmeExamples(): Example[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.split('\n'))
    .filter((line) => line.startsWith('curl '))
    .map((line) => {
      const url = /'(http:\/\/127\.0\.0\.1:8080[^']*)'/.exec(line)?.[1];
      const header = /-H "([^:]+): (?:Bearer )?\$KEY"/.exec(line)?.[1];
      if (!url || !header) throw new Error(`a README example this test cannot read: ${line}`);
      const method = /-X (POST) /.exec(line)?.[1] === 'POST' ? 'POST' : 'GET';
      return { line, url: new URL(url), header: header.toLowerCase(), method, body: /-d '([^']*)'/.exec(line)?.[1] };
    });
}

describe('the README examples', () => {
  const { t } = appSuite('embedded', {
    seed: async (db) => {
      await syncSourceCatalogue(db);
      // The snapshot ages (its feed values expire months after it was taken): the examples show
      // what the API answers as it was, whatever the date. Expiry has suites of its own.
      await db.query("update lifetimes set lifetime_days = null, updated_by = 'test seed'");
      await loadSnapshot(db);
      await refreshStats(db);
    },
  });
  let key = '';
  const examples = readmeExamples();
  beforeAll(async () => {
    await t.stats.reload();
    // As data/admin-key: every pro scope, and admin.
    key = await t.key('pro', ['read:iocs', 'read:stix', 'read:stats', 'admin']);
  });

  it('are there to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  it.each(examples.map((e) => [e.line, e] as const))('%s', async (_line, example) => {
    const headers = { [example.header]: example.header === 'authorization' ? `Bearer ${key}` : key };
    if (example.body !== undefined) headers['content-type'] = 'application/json';
    const res = await t.app.inject({ method: example.method, url: example.url.pathname + example.url.search, headers, payload: example.body });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(example.method === 'POST' ? 201 : 200);
    if (String(res.headers['content-type']).startsWith('text/plain')) {
      const lines = res.body.trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      // A block-list is something a firewall can block: no ATT&CK technique, no CVE.
      if (example.line.includes('block-list')) for (const line of lines) expect(line).not.toMatch(/^(t\d{4}|cve-)/i);
      const type = example.url.searchParams.get('type');
      if (type === 'ipv4') for (const line of lines) expect(line).toMatch(/^\d{1,3}(\.\d{1,3}){3}$/);
      return;
    }
    if (String(res.headers['content-type']).startsWith('application/xml')) {
      // An OpenIOC document with at least one value.
      expect(res.body).toMatch(/<OpenIOC [\s\S]*<IndicatorItem /);
      return;
    }
    if (String(res.headers['content-type']).startsWith('application/yaml')) {
      // Sigma rules: at least one, with its detection.
      expect(res.body).toMatch(/^detection:/m);
      return;
    }
    const body = res.json() as { data?: unknown; objects?: unknown[]; response?: unknown[] };
    // A STIX bundle or a TAXII page; MISP events; a MISP feed's manifest (events by uuid).
    const items = body.objects ?? body.response ?? (example.url.pathname.endsWith('/manifest.json') ? Object.keys(body) : undefined);
    if (items) {
      expect(items.length).toBeGreaterThan(1);
      return;
    }
    const data = body.data as { found?: boolean } | unknown[];
    if (Array.isArray(data)) expect(data.length).toBeGreaterThan(0);
    else expect(data).toBeTruthy();
    if (example.url.pathname.endsWith('/search')) expect((data as { found: boolean }).found).toBe(true);
  });
});
