// /api/openapi.json passes Redocly's recommended rules (the linter third parties run on it) with
// neither errors nor warnings: as served by default, and with PUBLIC_URL and CORS_ORIGINS set.
import fs from 'node:fs';
import path from 'node:path';
import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { appSuite, REPO_ROOT } from '../helpers.js';

/** The problems, one line each: severity, rule, where, and what. */
function describeProblems(problems: NormalizedProblem[]): string[] {
  return problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location.map((l) => l.pointer).join(', ')}: ${p.message}`);
}

async function lint(source: string): Promise<string[]> {
  const config = await createConfig({ extends: ['recommended'] });
  return describeProblems(await lintFromString({ source, absoluteRef: 'openapi.json', config }));
}

// A PUBLIC_URL with a path, which the route paths also start with: it is not taken off them.
const PUBLIC_URL = 'https://intel.socdefenders.test/api';
const SETTINGS: [string, Record<string, string>, string][] = [
  ['by default', {}, '/'],
  ['with PUBLIC_URL and CORS_ORIGINS', { PUBLIC_URL: `${PUBLIC_URL}/`, CORS_ORIGINS: 'https://soc.example.org' }, PUBLIC_URL],
];

describe.each(SETTINGS)('Redocly recommended rules on /api/openapi.json %s', (_name, env, server) => {
  const { t } = appSuite('embedded', { env });
  let source: string;
  beforeAll(async () => {
    const res = await t.app.inject({ url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    source = res.body;
  });

  it('reports no error and no warning', async () => {
    expect(await lint(source)).toEqual([]);
  });

  it('would report the faults it exists for', async () => {
    // The linter does run its rules here: a document without servers, license and operationIds fails.
    const doc = JSON.parse(source) as { servers?: unknown; info: { license?: unknown }; paths: Record<string, { get: object }> };
    delete doc.servers;
    delete doc.info.license;
    delete (doc.paths['/healthz']!.get as { operationId?: string }).operationId;
    const rules = (await lint(JSON.stringify(doc))).map((line) => line.split(' ')[1]);
    expect(rules).toEqual(expect.arrayContaining(['no-empty-servers', 'info-license', 'operation-operationId']));
  });

  it('names the server the links in responses are built on', async () => {
    const doc = JSON.parse(source) as { servers: { url: string }[]; paths: Record<string, unknown> };
    expect(doc.servers.map((s) => s.url)).toEqual([server]);
    expect(doc.paths).toHaveProperty(['/api/v1/iocs']);
    const res = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': await t.key('pro') } });
    const self = (res.json() as { links: { self: string } }).links.self;
    // Relative to the host serving the document when there is no PUBLIC_URL (inject's own address here).
    if (server !== '/') expect(self.startsWith(`${server}/api/v1/iocs?`), self).toBe(true);
    else expect(new URL(self).pathname).toBe('/api/v1/iocs');
  });

  it("gives package.json's license", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { license: string };
    expect((JSON.parse(source) as { info: { license: unknown } }).info.license).toEqual({
      name: pkg.license,
      url: 'https://www.apache.org/licenses/LICENSE-2.0',
    });
  });

  it('sends the 400 the health checks document', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await t.app.inject({ url: `${url}?x=%00` });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toEqual(expect.any(String));
    }
  });
});
