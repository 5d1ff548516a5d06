// The dashboard as HTTP serves it: each page's URL answers the built index.html with a strict
// Content-Security-Policy and no inline script; the bundle is cached for good under its content
// hash and sent pre-compressed, within the first page's budget; /item/{id} is a page for a
// browser and a redirect to the API for any other client; /docs is Swagger UI from the package.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { PAGES, WEB_DIST } from '../../src/api/dashboard.js';
import { appSuite } from '../helpers.js';

const ARTICLE = '0b6f8a7e-2c4d-4e5f-8a9b-0c1d2e3f4a5b';
const FIRST_PAGE_JS_BUDGET = 150 * 1024;

interface Element {
  name: string;
  attribs: Record<string, string>;
  children?: Element[];
  type: string;
}

function elements(html: string, name: string): Element[] {
  const found: Element[] = [];
  const walk = (nodes: Element[]) => {
    for (const node of nodes) {
      if (node.name === name) found.push(node);
      if (node.children) walk(node.children);
    }
  };
  walk(parseDocument(html).children as unknown as Element[]);
  return found;
}

/** The CSP's directives by name. */
function directives(header: string | undefined): Map<string, string[]> {
  return new Map((header ?? '').split(';').map((part) => {
    const [name, ...values] = part.trim().split(/\s+/);
    return [name!, values];
  }));
}

describe('the dashboard over HTTP', () => {
  const { t } = appSuite('embedded');

  it('answers each page with the index, under a strict CSP, with no inline script', async () => {
    for (const url of [...PAGES, `/item/${ARTICLE}`, '/search?value=1.2.3.4']) {
      const response = await t.app.inject({ url, headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      const csp = directives(response.headers['content-security-policy'] as string);
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('style-src')).toEqual(["'self'"]);
      expect(csp.get('connect-src')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      const scripts = elements(response.body, 'script');
      expect(scripts.length).toBeGreaterThan(0);
      for (const script of scripts) {
        expect(script.attribs.src, 'no inline script').toMatch(/^\/assets\//);
        expect(script.children ?? []).toEqual([]);
      }
    }
  });

  it('keeps the first page within its JavaScript budget (gzipped), its bundle cached for good and sent compressed', async () => {
    const index = (await t.app.inject({ url: '/' })).body;
    let gzipped = 0;
    for (const script of elements(index, 'script')) {
      const response = await t.app.inject({ url: script.attribs.src!, headers: { 'accept-encoding': 'gzip' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-encoding']).toBe('gzip');
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const plain = fs.readFileSync(path.join(WEB_DIST, 'assets', path.basename(script.attribs.src!)));
      expect(zlib.gunzipSync(response.rawPayload).equals(plain)).toBe(true);
      // The budget counts what the browser would download: the bundle and anything it imports.
      expect(plain.toString('utf8')).not.toMatch(/\bimport\s*\(|from\s*["']\.\//);
      gzipped += response.rawPayload.length;
    }
    expect(gzipped).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(FIRST_PAGE_JS_BUDGET);
  });

  it('serves /item/{id} as a page to browsers and redirects other clients to the article in the API', async () => {
    const curl = await t.app.inject({ url: `/item/${ARTICLE.toUpperCase()}`, headers: { accept: '*/*' } });
    expect(curl.statusCode).toBe(303);
    expect(curl.headers.location).toMatch(new RegExp(`/api/v1/articles/${ARTICLE}$`));
    const bad = await t.app.inject({ url: '/item/not-an-id', headers: { accept: 'text/html' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.parameter).toBe('id');
  });

  it('serves the API reference from the package, under the same CSP', async () => {
    const page = await t.app.inject({ url: '/docs/', headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(directives(page.headers['content-security-policy'] as string).get('script-src')).toEqual(["'self'"]);
    for (const script of elements(page.body, 'script')) expect(script.attribs.src).toBeTruthy();
    const document = (await t.app.inject({ url: '/docs/json' })).json();
    expect(document.info.title).toBe('SOC Defenders Threat Intelligence API');
    const initializer = await t.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain('socd.apiKey');
  });

  it('asks no key for the pages, and still asks one for the API', async () => {
    expect((await t.app.inject({ url: '/feeds' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/iocs' })).statusCode).toBe(401);
  });
});
