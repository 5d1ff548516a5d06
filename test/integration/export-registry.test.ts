// The export registry, as a client meets it: every format is served by the one function, with
// its media type and the permissions it declares; the list's `format` parameter is exactly the
// registry's listed formats; and a store that fails at once fails every format before its first
// byte (a 500 in the error envelope, never a truncated 200).
import { beforeAll, describe, expect, it } from 'vitest';
import { EXPORTERS, LIST_FORMATS, type AnyExporter } from '../../src/export/index.js';
import { importIocList } from '../../src/ingest/import-list.js';
import { createApiKey } from '../../src/store/keys.js';
import { appSuite, BACKENDS, openTestStore, readFixture, startTestApp } from '../helpers.js';

const urlOf = (exporter: AnyExporter) => (exporter.listed ? `/api/v1/iocs?format=${exporter.format}` : `/api/v1${exporter.route}`);

describe.each(BACKENDS)('the export registry on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let pro = '';
  beforeAll(async () => {
    pro = await t.key('pro');
    await importIocList(store.db, readFixture('import/operator-list.txt'), { source: 'Registry test' });
  });

  it("documents the list's format parameter as the registry's listed formats", async () => {
    const spec = (await t.app.inject({ url: '/api/openapi.json' })).json() as {
      paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[] }; description?: string }[] } }>;
    };
    const format = spec.paths['/api/v1/iocs']!.get.parameters.find((p) => p.name === 'format')!;
    expect(format.schema.enum).toEqual(LIST_FORMATS);
    for (const exporter of EXPORTERS.filter((e) => e.listed)) expect(format.description).toContain(`\`${exporter.format}\``);
  });

  it.each(EXPORTERS.map((e) => [e.format, e] as const))('serves %s with its media type, to a key with its scope only', async (_name, exporter) => {
    const res = await t.app.inject({ url: urlOf(exporter), headers: { 'x-api-key': pro } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(exporter.mediaType);
    expect(res.body.length).toBeGreaterThan(0);
    if (exporter.filename) expect(res.headers['content-disposition']).toBe(`attachment; filename="${exporter.filename}"`);
    // Without the scope it declares, the format is refused (403) whatever the route asks.
    const others = (await createApiKey(store.db, { name: `no-${exporter.scope}`, tier: 'pro', scopes: ['read:iocs', 'read:stix', 'read:stats'].filter((s) => s !== exporter.scope) })).key;
    const refused = await t.app.inject({ url: urlOf(exporter), headers: { 'x-api-key': others } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'insufficient_scope' });
  });

  it.each(EXPORTERS.map((e) => [e.format, e] as const))('fails %s before its first byte when the store fails at once', async (_name, exporter) => {
    const broken = await openTestStore(backend);
    const app = await startTestApp(broken);
    try {
      const key = await app.key('pro');
      await broken.db.query('drop table sightings cascade');
      const res = await app.app.inject({ url: urlOf(exporter), headers: { 'x-api-key': key } });
      expect(res.statusCode).toBe(500);
      expect(res.json().error).toMatchObject({ code: 'internal_error' });
    } finally {
      await app.close();
      await broken.close();
    }
  });
});
