// Builds the dashboard (web/) into web/dist: one bundle of the app and one stylesheet, named by
// their content hash (served as immutable), and index.html naming them. `npm run build` runs it,
// so `npm ci` (prepare) and `npm start` build the dashboard too.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { build } from 'esbuild';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web');
const OUT = path.join(WEB, 'dist');

export async function buildWeb(): Promise<void> {
  fs.rmSync(OUT, { recursive: true, force: true });
  const result = await build({
    entryPoints: [path.join(WEB, 'src', 'main.tsx'), path.join(WEB, 'src', 'style.css')],
    outdir: path.join(OUT, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const script = outputs.find((name) => name.startsWith('main-') && name.endsWith('.js'));
  const style = outputs.find((name) => name.startsWith('style-') && name.endsWith('.css'));
  if (!script || !style) throw new Error(`The dashboard build wrote no bundle: ${outputs.join(', ')}`);
  const html = fs
    .readFileSync(path.join(WEB, 'index.html'), 'utf8')
    .replace('%SCRIPT%', `/assets/${script}`)
    .replace('%STYLE%', `/assets/${style}`);
  fs.writeFileSync(path.join(OUT, 'index.html'), html);
  // Served pre-compressed (@fastify/static's preCompressed): no compression per request.
  for (const name of [script, style]) {
    const bytes = fs.readFileSync(path.join(OUT, 'assets', name));
    fs.writeFileSync(path.join(OUT, 'assets', `${name}.gz`), zlib.gzipSync(bytes, { level: 9 }));
    fs.writeFileSync(path.join(OUT, 'assets', `${name}.br`), zlib.brotliCompressSync(bytes));
  }
  for (const file of fs.readdirSync(path.join(WEB, 'public'))) fs.copyFileSync(path.join(WEB, 'public', file), path.join(OUT, 'assets', file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();
