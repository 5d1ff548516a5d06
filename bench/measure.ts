// Measuring: sequential latency over a keep-alive connection, throughput with autocannon, and
// the table that prints each figure beside its floor and their ratio.
import http from 'node:http';
import autocannon from 'autocannon';

export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

export function percentiles(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), n: sorted.length };
}

/** Runs fn `n` times one after another (after `warmup` runs); milliseconds per run. */
export async function timeSequential(n: number, fn: (i: number) => Promise<unknown>, warmup = Math.min(50, n)): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  return percentiles(samples);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET a path and read the whole body; rejects on a status other than 200. */
export function get(base: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(base + path, { agent, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => (response.statusCode === 200 ? resolve(bytes) : reject(new Error(`${path}: HTTP ${response.statusCode}`))));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** Requests per second with `connections` concurrent connections, cycling through paths. */
export async function throughput(base: string, paths: string[], headers: Record<string, string>, connections = 50, seconds = 5): Promise<number> {
  let next = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    headers,
    requests: [{ setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }) }],
  });
  if (result.non2xx > 0) throw new Error(`${result.non2xx} responses were not 2xx`);
  return result.requests.average;
}

export interface Row {
  figure: string;
  value: number;
  floorName: string;
  floor: number;
  unit: string;
  /** value / floor must not exceed this (or, with atLeast, not fall below it). */
  target?: number;
  atLeast?: boolean;
}

export function printTable(title: string, rows: Row[]): void {
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3));
  console.log(`\n## ${title}`);
  console.log('| figure | value | floor | floor value | ratio | target |');
  console.log('| --- | ---: | --- | ---: | ---: | --- |');
  for (const r of rows) {
    const ratio = r.value / r.floor;
    const target = r.target === undefined ? '' : `${r.atLeast ? '≥' : '≤'} ${r.target}x ${(r.atLeast ? ratio >= r.target : ratio <= r.target) ? 'ok' : 'MISSED'}`;
    console.log(`| ${r.figure} | ${fmt(r.value)} ${r.unit} | ${r.floorName} | ${fmt(r.floor)} ${r.unit} | ${ratio.toFixed(2)}x | ${target} |`);
  }
}
