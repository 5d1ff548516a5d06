// Measuring: the client process that takes the figures (bench/client.ts, started here), HTTP
// GETs over a keep-alive connection, and the table that prints each figure beside its floor
// and their ratio.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Job, Results } from './client.js';

export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

/** A loopback port free at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export function percentiles(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), n: sorted.length };
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET a path and read the whole body; rejects on a status other than 200. */
export function get(base: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(base + path, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode === 200) resolve(body);
        else reject(new Error(`${path}: HTTP ${response.statusCode} ${body.slice(0, 300)}`));
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

const CLIENT = path.join(path.dirname(new URL(import.meta.url).pathname), 'client.ts');

/** Runs a job in a client process of its own (bench/client.ts) and returns its results. */
export function runClient(job: Job): Promise<Results> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLIENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the bench client exited with ${code}`));
      try {
        resolve(JSON.parse(out) as Results);
      } catch (error) {
        reject(error as Error);
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
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
  /** When value is the median of several runs: each run's value (a column of its own). */
  each?: number[];
}

export const formatNumber = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3));

export function printTable(title: string, rows: Row[]): void {
  const fmt = formatNumber;
  const each = rows.some((r) => r.each);
  console.log(`\n## ${title}`);
  console.log(`| figure | value |${each ? ' each run |' : ''} floor | floor value | ratio | target |`);
  console.log(`| --- | ---: |${each ? ' ---: |' : ''} --- | ---: | ---: | --- |`);
  for (const r of rows) {
    const ratio = r.value / r.floor;
    const target = r.target === undefined ? '' : `${r.atLeast ? '≥' : '≤'} ${r.target}x ${(r.atLeast ? ratio >= r.target : ratio <= r.target) ? 'ok' : 'MISSED'}`;
    const runs = each ? ` ${(r.each ?? []).map(fmt).join(', ')} |` : '';
    console.log(`| ${r.figure} | ${fmt(r.value)} ${r.unit} |${runs} ${r.floorName} | ${fmt(r.floor)} ${r.unit} | ${ratio.toFixed(2)}x | ${target} |`);
  }
}

/** The median; of an even count, the mean of the middle two. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
