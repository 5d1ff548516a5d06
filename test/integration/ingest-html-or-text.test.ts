// Issue 10: ingestion and `socd extract` tell HTML from text by the one rule (src/extract/is-html.ts),
// so the same bytes give the same IOCs whichever way they come in: a page served as text/plain
// that holds `<` characters, an HTML page served without a Content-Type, a feed item's own text.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerExtract } from '../../src/cli/commands/extract.js';
import { runSource } from '../../src/ingest/pipeline.js';
import { BACKENDS } from '../helpers.js';
import { fakeSource, type FakeUpstream, fastRun, serve, storeAndUpstream, type Handler } from './ingest-upstream.js';

/** Text whose `<…>` are a comparison and an address, not tags (read as HTML, the address was lost). */
const TEXT_PAGE = [
  'Loader analysis',
  '',
  'When the payload is < 4096 bytes and the flag is > 0, the loader calls hxxp[[:]]//xq.com and then',
  'beacons to update-cdn[.]info every minute. Its operators answer from <ops@evil-mail[.]net>.',
  '',
  'Indicators of compromise:',
  '- 45[.]77[.]12[.]9',
  '- hxxps://files.cdn-check[.]org/stage2.bin',
  '',
].join('\n');

/** A whole HTML page (its link's address is markup, not text: read as text, it became an IOC). */
const HTML_PAGE = `<!DOCTYPE html><html><head><title>Loader analysis</title></head><body><article>
<h1>Loader analysis</h1>
<p>The loader we looked at this week is small, and it is careful: it waits for a user to be idle, checks that it does
not run in a sandbox, and only then calls hxxp[[:]]//xq.com for its second stage. The stage beacons to
update-cdn[.]info every minute and sends what it collects to its operators.</p>
<h2>Indicators of compromise</h2>
<ul><li>45[.]77[.]12[.]9</li><li>hxxps://files.cdn-check[.]org/stage2.bin</li><li>ops@evil-mail[.]net</li></ul>
<p>Our earlier notes on this family are <a href="https://research.vendor-notes.com/loader-2024">on the blog</a>.</p>
</article></body></html>`;

/** A feed item carrying its whole text, which is plain text with `<` in it (no type is declared). */
const FEED_TEXT = `${TEXT_PAGE}\n${'The loader keeps quiet between beacons and logs nothing of its own. '.repeat(25)}`;

/** Serves a body with no Content-Type header at all. */
const untyped =
  (body: string): Handler =>
  (_req, res) => {
    res.writeHead(200).end(body);
  };

function feed(upstream: FakeUpstream): string {
  const item = (title: string, link: string, content = '') =>
    `<item><title>${title}</title><link>${link}</link><description>A short summary.</description>${content}` +
    `<pubDate>Wed, 21 May 2025 12:00:00 GMT</pubDate></item>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Research</title><link>${upstream.url('/')}</link>
  ${item('Text page', upstream.url('/posts/text'))}
  ${item('HTML page', upstream.url('/posts/html'))}
  ${item('Text in the feed', upstream.url('/posts/feed-text'), `<content:encoded><![CDATA[${FEED_TEXT}]]></content:encoded>`)}
</channel></rss>`;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socd-html-or-text-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What `socd extract FILE --url URL` prints, as `type value` lines. */
async function cliValues(name: string, body: string, url: string): Promise<string[]> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  const program = new Command('socd').exitOverride();
  registerExtract(program);
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'socd', 'extract', file, '--url', url]);
  } finally {
    write.mockRestore();
  }
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; value: string })
    .map((ioc) => `${ioc.type} ${ioc.value}`)
    .sort();
}

describe.each(BACKENDS)('HTML or text, in ingestion and socd extract, on %s', (backend) => {
  const bed = storeAndUpstream(backend);

  it('the same bytes give the same IOCs', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'rss');
    bed.upstream.on(source.path, serve(feed(bed.upstream), { contentType: 'application/rss+xml' }));
    bed.upstream.on('/posts/text', serve(TEXT_PAGE, { contentType: 'text/plain; charset=utf-8' }));
    bed.upstream.on('/posts/html', untyped(HTML_PAGE));

    const summary = await runSource(bed.store.db, source, fastRun({ fetchArticlePages: true }));
    expect(summary).toMatchObject({ outcome: 'ok', articles: 3 });
    expect(summary.rejectedSamples ?? []).toEqual([]);

    const stored = async (url: string) =>
      (
        await bed.store.db.query<{ type: string; value: string }>(
          `select s.type, i.value from sightings s join indicators i on i.id = s.indicator_id join articles a on a.id = s.article_id
           where a.url = $1`,
          [url],
        )
      )
        .map((row) => `${row.type} ${row.value}`)
        .sort();

    const expected = [
      'domain update-cdn.info',
      'email ops@evil-mail.net',
      'ipv4 45.77.12.9',
      'url http://xq.com/',
      'url https://files.cdn-check.org/stage2.bin',
    ];
    // text/plain with `<`: read as text, the address between `<` and `>` is kept.
    const textUrl = bed.upstream.url('/posts/text');
    expect(await stored(textUrl)).toEqual(expected);
    expect(await cliValues('text-page.txt', TEXT_PAGE, textUrl)).toEqual(expected);
    // HTML without a Content-Type: sniffed as HTML, so the link in the markup is no IOC.
    const htmlUrl = bed.upstream.url('/posts/html');
    expect(await stored(htmlUrl)).toEqual(expected);
    expect(await cliValues('html-page', HTML_PAGE, htmlUrl)).toEqual(expected);
    // A feed item's own text declares no type either: sniffed, as a file without an extension.
    const feedUrl = bed.upstream.url('/posts/feed-text');
    expect(await stored(feedUrl)).toEqual(expected);
    expect(await cliValues('feed-text', FEED_TEXT, feedUrl)).toEqual(expected);
  });
});
