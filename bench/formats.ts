// The SOC formats section: 10,000 IOCs in each format of issue 12 (CEF, OpenIOC, MISP, Sigma)
// over HTTP, each beside a floor that writes the same document with the same writer from the
// same rows already in memory (bench/client.ts, writer-floor), medians of runs taken in turns;
// and a TAXII walk of 100,000 objects in pages of 1,000 beside the list's pages of 1,000 (both
// walked by their `next`), p50 and p99 of the pages. Targets: 1.5x.
import { publishStixVersions } from '../src/ingest/publish.js';
import { pageEvents, readEvents } from '../src/store/events.js';
import { openPostgres } from '../src/store/postgres.js';
import type { BackendName } from './backends.js';
import type { HttpProbe, Probe, Results } from './client.js';
import type { Corpus } from './corpus.js';
import { get, printTable, runClient, type Latency, type Row } from './measure.js';
import { LOOKBACK_DAYS, timed, withLoadedService } from './service.js';

const IOCS = 10_000;
const TAXII_OBJECTS = 100_000;
const PAGE = 1000;
const TARGET = 1.5;
const TAXII_ACCEPT = 'application/taxii+json;version=2.1';

/** How many MISP events hold IOCS records, newest first (format=misp's `limit` counts events). */
async function eventsFor(store: ReturnType<typeof openPostgres>, records: number): Promise<number> {
  const filters = { since: new Date(Date.now() - LOOKBACK_DAYS * 86_400_000) };
  const keys = await pageEvents(store, filters, { limit: 10_000, offset: 0 });
  let held = 0;
  for (let i = 0; i < keys.length; i += 50) {
    const events = await readEvents(store, filters, keys.slice(i, i + 50));
    for (const [j, event] of events.entries()) {
      held += event.records.length;
      if (held >= records) return i + j + 1;
    }
  }
  return keys.length;
}

/** The paths of `pages` pages, each the `next` of the one before. */
export async function walk(base: string, headers: Record<string, string>, first: string, pages: number, next: (body: string, path: string) => string | undefined) {
  const paths = [first];
  while (paths.length < pages) {
    const path = next(await get(base, paths.at(-1)!, headers), paths.at(-1)!);
    if (!path) break;
    paths.push(path);
  }
  return paths;
}

export async function benchFormats(corpus: Corpus, backends: BackendName[]): Promise<void> {
  for (const backend of backends) {
    await withLoadedService(backend, corpus, async ({ label, service, keys, db }) => {
      const store = openPostgres({ kind: 'external', connectionString: db, poolSize: 2, statementTimeoutMs: 600_000 });
      let mispEvents: number;
      try {
        // TAXII serves what the publisher made: versions of the first indicators (COPY marked none).
        await timed(`${label}: publishing STIX versions of ${TAXII_OBJECTS} indicators`, async () => {
          await store.query('insert into stix_pending (indicator_id) select id from indicators order by id limit $1', [TAXII_OBJECTS]);
          await publishStixVersions(store);
        });
        mispEvents = await eventsFor(store, IOCS);
      } finally {
        await store.close();
      }
      const headers = { authorization: `Bearer ${keys[0]}` };
      const http = (paths: string[], extra: Record<string, string> = {}): HttpProbe => ({ kind: 'http', base: service, paths, headers: { ...headers, ...extra } });
      const requests = {
        cef: [`/api/v1/iocs?format=cef&limit=${IOCS}`, IOCS],
        openioc: [`/api/v1/iocs?format=openioc&limit=${IOCS}`, IOCS],
        misp: [`/api/v1/iocs?format=misp&limit=${mispEvents}`, mispEvents],
        sigma: [`/api/v1/rules/sigma?limit=${IOCS}`, IOCS],
      } as const;
      const formats: Record<string, Probe> = {};
      for (const [format, [path, limit]] of Object.entries(requests)) {
        formats[format] = http([path]);
        formats[`${format}Floor`] = { kind: 'writer-floor', format, limit, lookbackDays: LOOKBACK_DAYS };
        formats[`${format}Read`] = { kind: 'writer-floor', format, limit, lookbackDays: LOOKBACK_DAYS, reread: true };
      }
      const taxiiCollection = `/api/taxii2/socd/collections/indicators/objects/`;
      const taxii = await walk(service, { ...headers, accept: TAXII_ACCEPT }, `${taxiiCollection}?limit=${PAGE}`, TAXII_OBJECTS / PAGE, (body) => {
        const page = JSON.parse(body) as { more: boolean; next?: string };
        return page.more && page.next ? `${taxiiCollection}?limit=${PAGE}&next=${encodeURIComponent(page.next)}` : undefined;
      });
      const list = await walk(service, headers, `/api/v1/iocs?limit=${PAGE}`, taxii.length, (body) => {
        const next = (JSON.parse(body) as { links: { next?: string } }).links.next;
        return next && new URL(next).pathname + new URL(next).search;
      });
      const results: Results = await timed(`${label}: measuring the formats and TAXII`, () =>
        runClient({
          db,
          steps: [
            { kind: 'median', runs: 10, probes: formats },
            { kind: 'latency', samples: taxii.length * 3, warmup: 10, probes: { taxii: http(taxii, { accept: TAXII_ACCEPT }), list: http(list) } },
          ],
        }),
      );
      const ms = (name: string) => results[name] as number;
      const names = { cef: `CEF, ${IOCS} IOCs`, openioc: `OpenIOC, ${IOCS} IOCs`, misp: `MISP, ${mispEvents} events (≥ ${IOCS} IOCs)`, sigma: `Sigma, ${IOCS} IOCs` };
      // The floor (the writer alone), then, for what the reading costs, the same rows read as the service reads them.
      const rows: Row[] = Object.entries(names).flatMap(([format, figure]): Row[] => [
        { figure, value: ms(format), floorName: 'same writer, rows in memory', floor: ms(`${format}Floor`), unit: 'ms', target: TARGET },
        { figure: `${figure} (reference)`, value: ms(format), floorName: 'same reads + same writer, no HTTP', floor: ms(`${format}Read`), unit: 'ms' },
      ]);
      const [t, l] = [results.taxii as Latency, results.list as Latency];
      rows.push(
        { figure: `TAXII page of ${PAGE} (walk of ${taxii.length} pages) p50`, value: t.p50, floorName: `list page of ${PAGE} p50`, floor: l.p50, unit: 'ms', target: TARGET },
        { figure: `TAXII page of ${PAGE} p99`, value: t.p99, floorName: `list page of ${PAGE} p99`, floor: l.p99, unit: 'ms', target: TARGET },
      );
      printTable(`SOC formats and TAXII, ${backend === 'embedded' ? 'embedded' : 'external'} PostgreSQL, ${corpus.records.length} records`, rows);
    });
  }
}
