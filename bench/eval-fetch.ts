// npm run eval:fetch -- DIR
// Fetches the documents of the evaluation set that the repository may not hold (their truths
// are in test/fixtures/extraction/extra/, each with its page's URL) into DIR, as the service
// reads an article page: its readable part (src/ingest/article-text.ts), as HTML, or as text
// where the truth's file is a .txt. Then `npm run eval:extract -- --extra DIR` scores them.
import fs from 'node:fs';
import path from 'node:path';
import { blocksToText, htmlToBlocks } from '../src/extract/index.js';
import { readableArticle } from '../src/ingest/article-text.js';
import { EXTRA_TRUTH_DIR, type Truth } from './extraction-corpus.js';

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: npm run eval:fetch -- DIR');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
const truths = fs.existsSync(EXTRA_TRUTH_DIR) ? fs.readdirSync(EXTRA_TRUTH_DIR).filter((name) => name.endsWith('.truth.json')) : [];
for (const name of truths) {
  const truth = JSON.parse(fs.readFileSync(path.join(EXTRA_TRUTH_DIR, name), 'utf8')) as Truth;
  try {
    const response = await fetch(truth.url, { headers: { 'user-agent': 'socdefenders-eval (+https://github.com/socdefenders)' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const readable = readableArticle(await response.text(), truth.url);
    if (readable === undefined) throw new Error('no readable article in the page');
    const content = truth.file.endsWith('.txt') ? blocksToText(htmlToBlocks(readable.html)) : readable.html;
    fs.writeFileSync(path.join(dir, truth.file), content);
    console.log(`${truth.id}: ${truth.url} → ${path.join(dir, truth.file)}`);
  } catch (error) {
    console.error(`${truth.id}: ${truth.url}: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
