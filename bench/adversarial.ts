// The adversarial section: searches a hostile client would send, on the embedded default store.
// Each input alone (p99 under 50 ms), then 25 clients sending them at once from one key while a
// second client, with a key of its own, times /readyz (it must stay 200) and exact searches
// (p99 under 250 ms). Refusals (429 per key, 503 per server) are what the load is meant to meet.
import type { HttpProbe, Results, Step } from './client.js';
import type { Corpus } from './corpus.js';
import { formatNumber, get, runClient, type Latency } from './measure.js';
import { timed, withLoadedService } from './service.js';

const MAX_Q = 2048;
const INPUT_P99_MS = 50;
const SECOND_KEY_P99_MS = 250;
const CONCURRENT = 25;

/** The worst inputs: a fixed set, some derived from the corpus (near misses of stored values). */
export function adversarialInputs(corpus: Corpus): Record<string, string> {
  const first = (type: string) => corpus.indicators.find((i) => i.type === type)!.normalized;
  const domain = first('domain');
  const sha256 = first('sha256');
  const middle = Math.floor(domain.length / 2);
  const flip = (c: string) => (c === 'a' ? 'b' : 'a');
  return {
    'a. ×1024 (the issue’s)': 'a.'.repeat(MAX_Q / 2),
    '%_ ×1024': '%_'.repeat(MAX_Q / 2),
    '%a%b ×512': '%a%b'.repeat(MAX_Q / 4),
    'many short tokens': 'ab.cd-ef_gh/ij:kl@'.repeat(MAX_Q / 18).slice(0, MAX_Q),
    '2,048 letters': 'qwertyuiopasdfghjklzxcvbnm'.repeat(80).slice(0, MAX_Q),
    'abc ×682': 'abc'.repeat(Math.floor(MAX_Q / 3)),
    'long URL': `http://${'x'.repeat(MAX_Q - 20)}.example/path`,
    // Unicode as long as the URL allows (MAX_URL_LENGTH, 8,192 characters, percent-encoded).
    'unicode letters': 'пример'.repeat(200),
    'unicode marks and spaces': '\u200b\u0301 a\u00a0'.repeat(300),
    emoji: '😀'.repeat(600),
    'common trigram (com)': 'com',
    'near-miss domain': domain.slice(0, middle) + flip(domain[middle]!) + domain.slice(middle + 1),
    'near-miss sha256 (last digit)': sha256.slice(0, -1) + (sha256.endsWith('0') ? '1' : '0'),
    'truncated sha256 (63)': sha256.slice(0, 63),
    '65 hex digits': sha256 + 'a',
  };
}

const path = (q: string) => `/api/v1/iocs/search?q=${encodeURIComponent(q)}`;

function adversarialSteps(service: string, keys: [string, string], inputs: Record<string, string>, exact: string[]): Step[] {
  const http = (paths: string[], key?: string): HttpProbe => ({
    kind: 'http',
    base: service,
    paths,
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  const each = Object.fromEntries(Object.entries(inputs).map(([name, q]) => [name, http([path(q)], keys[0])]));
  return [
    { kind: 'latency', samples: 200, warmup: 10, probes: each },
    {
      kind: 'contention',
      seconds: 20,
      connections: CONCURRENT,
      load: { name: 'adversarial', probe: http(Object.values(inputs).map(path), keys[0]) },
      probes: { readyz: http(['/readyz']), secondKeyExact: http(exact.map(path), keys[1]) },
    },
  ];
}

/** What the service answers each input: its fuzzy stage (not_applicable, done, budget_spent) and matches. */
async function answers(service: string, key: string, inputs: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, q] of Object.entries(inputs)) {
    const body = JSON.parse(await get(service, path(q), { authorization: `Bearer ${key}` })) as {
      data: { match_type: string; matches: unknown[]; meta: { fuzzy_stage: string } };
    };
    out[name] = `${body.data.match_type}, ${body.data.matches.length} matches, fallback ${body.data.meta.fuzzy_stage}`;
  }
  return out;
}

function report(records: number, inputs: Record<string, string>, answered: Record<string, string>, r: Results) {
  const latency = (name: string) => r[name] as Latency;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(`\n## Adversarial search, embedded PostgreSQL, ${records} records`);
  console.log('| input | q length | answer | p50 | p99 | target |');
  console.log('| --- | ---: | --- | ---: | ---: | --- |');
  for (const [name, q] of Object.entries(inputs)) {
    const { p50, p99 } = latency(name);
    console.log(`| ${name} | ${[...q].length} | ${answered[name]} | ${formatNumber(p50)} ms | ${formatNumber(p99)} ms | < ${INPUT_P99_MS} ms ${verdict(p99 < INPUT_P99_MS)} |`);
  }
  const readyz = latency('readyz');
  const second = latency('secondKeyExact');
  console.log(`\n${CONCURRENT} clients sending them at once from one key, for 20 s:`);
  console.log('| figure | value | target |');
  console.log('| --- | ---: | --- |');
  console.log(`| the load's answers: 200 / 429 / 503 / other | ${r['adversarial:2xx']} / ${r['adversarial:429']} / ${r['adversarial:503']} / ${r['adversarial:other']} | — |`);
  console.log(`| /readyz not 200 | ${r['readyz:failed']} of ${readyz.n} (p99 ${formatNumber(readyz.p99)} ms) | 0 ${verdict(r['readyz:failed'] === 0)} |`);
  console.log(`| second key, exact search p50 | ${formatNumber(second.p50)} ms | — |`);
  console.log(
    `| second key, exact search p99 | ${formatNumber(second.p99)} ms (${r['secondKeyExact:failed']} not 200 of ${second.n}) | < ${SECOND_KEY_P99_MS} ms ${verdict(second.p99 < SECOND_KEY_P99_MS && r['secondKeyExact:failed'] === 0)} |`,
  );
}

export async function benchAdversarial(corpus: Corpus): Promise<void> {
  const inputs = adversarialInputs(corpus);
  const step = Math.max(1, Math.floor(corpus.indicators.length / 200));
  const exact = corpus.indicators.filter((_, i) => i % step === 0).map((i) => i.value);
  await withLoadedService('embedded', corpus, async ({ label, service, keys }) => {
    const answered = await answers(service, keys[0], inputs);
    const results = await timed(`${label}: adversarial searches`, () => runClient({ steps: adversarialSteps(service, keys, inputs, exact) }));
    report(corpus.records.length, inputs, answered, results);
  });
}
