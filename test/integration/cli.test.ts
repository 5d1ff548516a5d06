// The `socd` command as a user runs it: a process of its own on an embedded store, one command
// after another on the same data directory.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { findApiKey, hashApiKey } from '../../src/store/keys.js';
import { openStore } from '../../src/store/open.js';
import { embeddedServerPid, FIXTURES, tempDir } from '../helpers.js';
import { runSocd } from '../helpers/socd.js';

const OPERATOR_LIST = path.join(FIXTURES, 'import', 'operator-list.txt');

describe('socd CLI on an embedded store', () => {
  let dataDir = '';
  const socd = (args: string[], input?: string) => runSocd(args, { DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, input);
  beforeAll(() => {
    dataDir = tempDir('socd-cli-');
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  let proKey = '';
  let proId = '';
  let freeKey = '';

  it('migrate: creates the schema on a new data directory, and says so', async () => {
    const result = await socd(['migrate']);
    expect(result).toMatchObject({ code: 0, stdout: 'Schema is up to date.\n', stderr: '' });
    // The cluster lives in DATA_DIR, its password beside it for this user alone.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(fs.statSync(path.join(dataDir, 'postgres-password')).mode & 0o777).toBe(0o600);
    // Nothing else ran: the command started the server for its own work and stopped it after.
    expect(embeddedServerPid(dataDir)).toBeUndefined();
  });

  it('keys create: prints the new key once, with its id, tier and scopes', async () => {
    const result = await socd(['keys', 'create', '--tier', 'pro', '--name', 'x']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const keys = result.stdout.match(/sk_live_[0-9A-Za-z]+/g) ?? [];
    expect(keys).toHaveLength(1);
    proKey = keys[0]!;
    expect(proKey).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
    // Admin is not a tier: a pro key gets the tier's scopes, and admin only with --admin.
    const header = /^Created key ([0-9a-f-]{36}) "x" \(tier pro; scopes read:iocs, read:stix, read:stats\):$/m.exec(result.stdout);
    expect(header).not.toBeNull();
    proId = header![1]!;
    expect(result.stdout).toContain('it is not shown again');
  });

  it('keys create --json: the key and its record', async () => {
    const result = await socd(['keys', 'create', '--tier', 'free', '--name', 'reader', '--json']);
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout);
    expect(created).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'reader',
      tier: 'free',
      scopes: ['read:iocs'],
      last_used_at: null,
      revoked_at: null,
    });
    freeKey = created.key;
    expect(freeKey).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
    expect(created.prefix).toBe(freeKey.slice(0, 12));
    expect(Number.isNaN(Date.parse(created.created_at))).toBe(false);
  });

  it('keys create: refuses an unknown tier, listing the tiers', async () => {
    const result = await socd(['keys', 'create', '--tier', 'gold', '--name', 'y']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('socd: unknown tier "gold"; tiers: free, pro\n');
  });

  it('keys create: refuses a scope the tier does not have', async () => {
    const result = await socd(['keys', 'create', '--tier', 'free', '--scopes', 'read:stix']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('socd: scope read:stix not available on the free tier; allowed: read:iocs\n');
  });

  it('keys list: every key by id and prefix, never the key itself', async () => {
    const result = await socd(['keys', 'list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${proId}  ${proKey.slice(0, 12)}…  x  tier=pro  scopes=read:iocs,read:stix,read:stats  admin=no  active  expires never  ` +
          'last used never  requests today 0, this month 0$',
      ),
    );
    expect(lines[1]).toContain(`${freeKey.slice(0, 12)}…  reader  tier=free  scopes=read:iocs  admin=no  active  expires never`);
    for (const key of [proKey, freeKey]) {
      expect(result.stdout).not.toContain(key);
      expect(result.stdout).not.toContain(key.slice(12));
    }
  });

  it('keys revoke: revokes by id, and says when there is nothing to revoke', async () => {
    const result = await socd(['keys', 'revoke', proId]);
    expect(result).toMatchObject({ code: 0, stdout: `Revoked ${proId}.\n` });
    const again = await socd(['keys', 'revoke', proId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`socd: no active key with id ${proId}\n`);
    const listed = JSON.parse((await socd(['keys', 'list', '--json'])).stdout) as Record<string, unknown>[];
    expect(listed.map((k) => [k.name, k.revoked_at === null])).toEqual([
      ['x', false],
      ['reader', true],
    ]);
    for (const k of listed) expect(k).not.toHaveProperty('key');
    expect(JSON.stringify(listed)).not.toContain(proKey);
  });

  it('keys create --admin --expires: an admin key that expires; list shows both', async () => {
    const before = Date.now();
    const result = await socd(['keys', 'create', '--tier', 'free', '--name', 'ops', '--admin', '--expires', '30d', '--json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const created = JSON.parse(result.stdout) as { id: string; scopes: string[]; admin: boolean; expires_at: string };
    expect(created).toMatchObject({ scopes: ['read:iocs', 'admin'], admin: true });
    const expires = Date.parse(created.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(expires).toBeLessThan(before + 30 * 86_400_000 + 60_000);
    const dated = await socd(['keys', 'create', '--tier', 'free', '--name', 'dated', '--expires', '2999-01-31']);
    expect(dated.stdout).toMatch(/^Created key [0-9a-f-]{36} "dated" \(tier free; scopes read:iocs; expires 2999-01-31T00:00:00\.000Z\):$/m);
    const line = (await socd(['keys', 'list'])).stdout.split('\n').find((l) => l.startsWith(created.id))!;
    expect(line).toContain(`tier=free  scopes=read:iocs,admin  admin=yes  active  expires ${new Date(expires).toISOString()}  last used never`);
  });

  it('keys create: refuses an expiry that is past or not a date, and names the problem', async () => {
    const past = await socd(['keys', 'create', '--tier', 'free', '--expires', '2001-01-01']);
    expect(past).toMatchObject({ code: 1, stdout: '' });
    expect(past.stderr).toBe('socd: the expiry 2001-01-01T00:00:00.000Z is not in the future\n');
    const bad = await socd(['keys', 'create', '--tier', 'free', '--expires', 'tomorrow']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^socd: --expires: "tomorrow" is not a date/);
    const zoneless = await socd(['keys', 'create', '--tier', 'free', '--expires', '2999-01-01T10:00']);
    expect(zoneless.stderr).toMatch(/^socd: --expires: "2999-01-01T10:00" is not a date/);
    const blank = await socd(['keys', 'create', '--tier', 'free', '--name', ' ']);
    expect(blank.stderr).toBe('socd: a key needs a name that is not blank\n');
  });

  it('keys revoke: keeps the last admin key that works, unless --force', async () => {
    const listed = JSON.parse((await socd(['keys', 'list', '--json'])).stdout) as { id: string; admin: boolean; revoked_at: string | null }[];
    const admins = listed.filter((k) => k.admin && !k.revoked_at);
    expect(admins).toHaveLength(1);
    const only = admins[0]!.id;
    const refused = await socd(['keys', 'revoke', only]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^socd: key ${only} is the last admin key that works: .*--force.\\n$`));
    // With another admin key, it goes; the other one is then the last.
    const other = JSON.parse((await socd(['keys', 'create', '--tier', 'pro', '--name', 'ops-2', '--admin', '--json'])).stdout) as { id: string };
    expect(await socd(['keys', 'revoke', only])).toMatchObject({ code: 0, stdout: `Revoked ${only}.\n` });
    expect((await socd(['keys', 'revoke', other.id])).code).toBe(1);
    expect(await socd(['keys', 'revoke', other.id, '--force'])).toMatchObject({ code: 0, stdout: `Revoked ${other.id}.\n` });
  });

  it('import FILE: stores the values and reports each rejected line with its reason', async () => {
    const result = await socd(['import', OPERATOR_LIST]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `Read 58 lines from ${OPERATOR_LIST}.`,
      'Imported into import: 55 new, 0 updated.',
      'Skipped 3 that are not IOCs:',
    ]);
    // Each rejected line by number and value, with the reason (its wording is detect.ts's).
    expect(lines[3]).toMatch(/^ {2}line 62: "aaa\.exe": .*public suffix/);
    expect(lines[4]).toMatch(/^ {2}line 63: "999\.12\.1\.1": .*octet 999/);
    expect(lines[5]).toMatch(/^ {2}line 64: "not an indicator": .*not a recognized IOC/);
    expect(lines.slice(6)).toEqual(['']);
  });

  it('import FILE again --json: the same records are updated, none added', async () => {
    const result = await socd(['import', OPERATOR_LIST, '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ format: 'lines', read: 58, inserted: 0, updated: 55, sources: ['import'] });
    expect(summary.rejected).toEqual([
      { at: 62, value: 'aaa.exe', reason: expect.stringContaining('public suffix') },
      { at: 63, value: '999.12.1.1', reason: expect.stringContaining('octet 999') },
      { at: 64, value: 'not an indicator', reason: expect.stringContaining('not a recognized IOC') },
    ]);
  });

  it('import -: reads standard input', async () => {
    const input = [
      'evil-stdin-domain.example-bad.com',
      '198.51.100.23',
      'hxxps://stdin[.]example-bad[.]com/payload',
      'CVE-2024-3400',
      '',
    ].join('\n');
    const result = await socd(['import', '-', '--source', 'Pasted', '--category', 'research', '--confidence', 'high'], input);
    expect(result.code).toBe(0);
    // 198.51.100.23 is a documentation address (RFC 5737).
    expect(result.stdout).toBe(
      'Read 4 lines from -.\nImported into Pasted: 4 new, 0 updated.\n' +
        '1 on the warning list of benign or reserved values: stored at low confidence.\n',
    );
  });

  it("import: keeps a CSV row's article by its id; says which records name another source's article", async () => {
    // A CSV export's row of an article's record: the CSV gives the article's id only, and it is kept.
    const csv = (source: string) =>
      'id,type,value,confidence,first_seen,last_seen,source_article,source_feed,category,tags\r\n' +
      'a1b2c3d4-0000-5000-8000-000000000001,cve,CVE-2023-23397,high,2025-05-21T00:00:00Z,2025-05-21T00:00:00Z,' +
      `6f1c1a52-3c1e-4b7e-9d55-0d0f5c1e2a10,${source},government,apt28\r\n`;
    const result = await socd(['import', '-'], csv('CISA Cybersecurity Advisories'));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Read 1 csv rows from -.\nImported into CISA Cybersecurity Advisories: 1 new, 0 updated.\n');
    // The same article under another source is not that source's: the record is kept without it.
    const other = await socd(['import', '-'], csv('Another agency'));
    expect(other.stdout).toBe(
      'Read 1 csv rows from -.\nImported into Another agency: 1 new, 0 updated.\n' +
        "1 name an article that is another source's in this store: stored without it.\n",
    );
  });

  it('import: refuses a source name that exists with another category', async () => {
    const result = await socd(['import', '-', '--source', 'Pasted', '--category', 'news'], 'another-domain.example-bad.com\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^socd: source "Pasted" already exists with category research, not news;/);
  });

  it('import: refuses a bad --category before touching anything', async () => {
    const result = await socd(['import', OPERATOR_LIST, '--category', 'bogus']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('socd: --category must be one of news, research, threat-intel, vendor, government, not "bogus"\n');
    const missing = await socd(['import', path.join(dataDir, 'no-such-file.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^socd: cannot read .*no-such-file\.txt: ENOENT/);
  });

  it('keys created by the CLI are stored by hash: the free key authenticates, the revoked one does not', async () => {
    // The server is the real check (server.test.ts); here the store itself is asked, after the CLI is done.
    const db = await openStore(loadConfig({ DATA_DIR: dataDir }), 'vitest');
    try {
      expect((await findApiKey(db, hashApiKey(freeKey)))?.tier.name).toBe('free');
      expect(await findApiKey(db, hashApiKey(proKey))).toBeUndefined();
      const [row] = await db.query<{ n: number }>('select count(*)::int as n from api_keys where key_hash = $1', [
        crypto.createHash('sha256').update(freeKey).digest(),
      ]);
      expect(row!.n).toBe(1);
      const [records] = await db.query<{ n: number }>('select count(*)::int as n from sightings');
      // 55 of the operator's list, 4 from standard input, 2 CSV rows.
      expect(records!.n).toBe(61);
    } finally {
      await db.close();
    }
  });

  it('exits non-zero on an unknown command or option', async () => {
    const result = await socd(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });
});
