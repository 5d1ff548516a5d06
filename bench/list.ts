// The list section: GET /api/v1/iocs at --size records, as firewalls and dashboards poll it.
// The default page (limit=100), a page reached by cursor in the middle of the list (after
// 500,000 records at 1M), and offset to the same depth for reference, each beside its floor: the
// same 100 rows read by the same statement on the same database and written as the same JSON,
// with no count, key or rate limit (bench/list-floor.ts, in the bare server's process). p50 of
// requests one at a time, and throughput under 50 connections; the targets are 1.5x the floor.
// (Offset pages: p50 only, for reference.)
import pg from 'pg';
import { encodeCursor } from '../src/api/cursor.js';
import { keysetAt } from '../src/store/iocs.js';
import type { BackendName } from './backends.js';
import type { HttpProbe, Results, Step } from './client.js';
import type { Corpus } from './corpus.js';
import { get, printTable, runClient, type Latency, type Row } from './measure.js';
import { LOOKBACK_DAYS, log, startProcess, stop, timed, withLoadedService } from './service.js';

const LIMIT = 100;
const DEPTH = 500_000;
const TARGET = 1.5;
const CONNECTIONS = 50;

// The last record before `depth` in the list's order: where the cursor page starts after it, as
// the links.next of the page before would say (store/iocs.ts writes the keyset the same way).
const KEYSET_SQL = `select ${keysetAt('extracted_at')} as at, id
  from sightings where extracted_at >= now() - interval '${LOOKBACK_DAYS} days'
  order by extracted_at desc, id desc offset $1 limit 1`;

async function cursorAt(db: string, depth: number): Promise<string> {
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  try {
    const { rows } = await client.query<{ at: string; id: string }>(KEYSET_SQL, [depth - 1]);
    return encodeCursor(rows[0]!);
  } finally {
    await client.end();
  }
}

/** The same page from the service and the floor, and by cursor as by offset: or the figures compare nothing. */
async function checkSamePages(probes: Record<string, HttpProbe>) {
  const ids = async (probe: HttpProbe) => {
    const body = JSON.parse(await get(probe.base, probe.paths[0]!, probe.headers)) as { data: { id: string }[] };
    return body.data.map((r) => r.id).join(',');
  };
  const [page, pageFloor, cursor, cursorFloor, offset] = await Promise.all(
    [probes.page!, probes.pageFloor!, probes.cursor!, probes.cursorFloor!, probes.offset!].map(ids),
  );
  if (page !== pageFloor || cursor !== cursorFloor || cursor !== offset || page!.split(',').length !== LIMIT || cursor!.split(',').length !== LIMIT) {
    throw new Error('the list and its floor do not serve the same pages');
  }
}

function report(title: string, depth: number, r: Results) {
  const p50 = (name: string) => (r[name] as Latency).p50;
  const rps = (name: string) => r[name] as number;
  const rows: Row[] = [];
  for (const [name, figure] of [
    ['page', `default page (limit=${LIMIT})`],
    ['cursor', `page by cursor after ${depth} records`],
  ] as const) {
    rows.push(
      { figure: `${figure} p50`, value: p50(name), floorName: 'same rows, no count: p50', floor: p50(`${name}Floor`), unit: 'ms', target: TARGET },
      {
        figure: `${figure} throughput (${CONNECTIONS} conn.)`,
        value: rps(`${name}Rps`),
        floorName: 'same rows, no count: req/s',
        floor: rps(`${name}FloorRps`),
        unit: 'req/s',
        target: Math.round((1 / TARGET) * 100) / 100,
        atLeast: true,
      },
    );
  }
  // For reference, what the cursor saves; no throughput (deep offset pages under 50 connections
  // outlast the client's timeout).
  rows.push({ figure: `offset=${depth} p50 (reference)`, value: p50('offset'), floorName: 'same rows, no count: p50', floor: p50('offsetFloor'), unit: 'ms' });
  printTable(title, rows);
  log(`(list p99: default page ${(r.page as Latency).p99.toFixed(3)} ms, cursor page ${(r.cursor as Latency).p99.toFixed(3)} ms)`);
}

/** The list's figures on each backend, on a store loaded with the corpus. */
export async function benchList(corpus: Corpus, backends: BackendName[]): Promise<void> {
  const depth = Math.min(DEPTH, Math.floor(corpus.records.length / 2));
  for (const backend of backends) {
    await withLoadedService(backend, corpus, async ({ label, service, keys, db }) => {
      const floor = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], { FLOOR_DATABASE_URL: db, FLOOR_LOOKBACK_DAYS: String(LOOKBACK_DAYS) }, '/bare');
      try {
        const cursor = await cursorAt(db, depth);
        const http = (base: string, path: string): HttpProbe => ({
          kind: 'http',
          base,
          paths: [path],
          headers: base === service ? { authorization: `Bearer ${keys[0]}` } : {},
        });
        const probes = {
          page: http(service, `/api/v1/iocs?limit=${LIMIT}`),
          pageFloor: http(floor.url, `/floor/list?limit=${LIMIT}`),
          cursor: http(service, `/api/v1/iocs?limit=${LIMIT}&cursor=${cursor}`),
          cursorFloor: http(floor.url, `/floor/list?limit=${LIMIT}&cursor=${cursor}`),
          offset: http(service, `/api/v1/iocs?limit=${LIMIT}&offset=${depth}`),
          offsetFloor: http(floor.url, `/floor/list?limit=${LIMIT}&offset=${depth}`),
        };
        await checkSamePages(probes);
        // An offset page costs its offset: a few samples of it are enough for a reference.
        const offsetSamples = depth >= 100_000 ? 10 : 50;
        const steps: Step[] = [
          { kind: 'latency', samples: 1000, warmup: 100, probes: { page: probes.page, pageFloor: probes.pageFloor, cursor: probes.cursor, cursorFloor: probes.cursorFloor } },
          { kind: 'latency', samples: offsetSamples, warmup: 1, probes: { offset: probes.offset, offsetFloor: probes.offsetFloor } },
          {
            kind: 'throughput',
            rounds: 3,
            seconds: 4,
            connections: CONNECTIONS,
            probes: { pageRps: probes.page, pageFloorRps: probes.pageFloor, cursorRps: probes.cursor, cursorFloorRps: probes.cursorFloor },
          },
        ];
        const results = await timed(`${label}: measuring the list`, () => runClient({ steps }));
        const title = `List, ${backend === 'embedded' ? 'embedded' : 'external'} PostgreSQL, ${corpus.records.length} records`;
        report(title, depth, results);
      } finally {
        await stop(floor.child);
      }
    });
  }
}
