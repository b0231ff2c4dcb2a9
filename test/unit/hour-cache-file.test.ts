// The cache of closed hours on disk: round trip, two processes saving at once keep each other's hours, corrupt and foreign files, the bound, list and clear.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import * as zlib from 'node:zlib';
import { cacheSummary, emptyCacheData, noteInUse } from '../../src/core/cache/data';
import type { CacheAccount, HourCacheData } from '../../src/core/cache/port';
import { withFileLock } from '../../src/node/atomic-file';
import { defaultCacheDir, FileHourCacheStore } from '../../src/node/hour-cache-file';
import { childJson } from '../support/child-json';

const HOUR = 3_600_000;
const ACCOUNT: CacheAccount = { accountId: '123456789012', region: 'us-east-1' };
/** The last closed hour, and the ones before it: well inside any bound. */
const RECENT = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;

/**
 * A cache whose `metrics` section holds `keys` (`<function> <metric>`), each with `hours` hourly points ending at `end`,
 * noted as asked for by a scan now (the bound keeps only hours a recent scan asked for).
 */
function cacheWith(keys: string[], hours = 3, end = RECENT, account: CacheAccount = ACCOUNT): HourCacheData {
  const section: Record<string, Record<string, unknown[]>> = {};
  for (const key of keys) {
    section[key] = {};
    for (let i = 0; i < hours; i++) {
      const h = end - i * HOUR;
      section[key][String(h)] = [{ t: h, v: i }];
    }
  }
  const data: HourCacheData = { ...emptyCacheData(account), sections: { metrics: section } };
  noteInUse(data, 'metrics', end - (hours - 1) * HOUR, Date.now());
  return data;
}

function keysOf(data: HourCacheData | undefined): string[] {
  return Object.keys(data?.sections.metrics ?? {}).sort();
}

// ------------------------------------------------------------------ the worker: one CLI saving its own hours

async function worker(dir: string, id: string, rounds: number): Promise<void> {
  const warnings: string[] = [];
  const store = new FileHourCacheStore(dir, { warn: (m) => warnings.push(m) });
  let lostOwn = 0;
  for (let i = 0; i < rounds; i++) {
    // As a scan does: load, fetch (here: make up) one more key, save what it has. The other process saves meanwhile.
    const loaded = await store.load(ACCOUNT);
    if (loaded.warning) warnings.push(loaded.warning);
    const have = keysOf(loaded.data).filter((k) => k.startsWith(`${id}-`));
    // Every key this process saved before is on disk still: the other's saves merged it, never replaced it.
    if (have.length !== i) lostOwn++;
    await store.save(ACCOUNT, cacheWith([`${id}-${i}`]));
  }
  process.stdout.write(JSON.stringify({ warnings, lostOwn }) + '\n');
}

if (process.env.LB_HOUR_CACHE_WORKER) {
  const [dir, id, rounds] = process.env.LB_HOUR_CACHE_WORKER.split('|');
  worker(dir, id, Number(rounds)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-hour-cache-'));
  after(() => fs.rmSync(temp, { recursive: true, force: true }));
  let serial = 0;
  const freshDir = () => path.join(temp, `d${++serial}`);

  function cli(dir: string, id: string, rounds: number): Promise<{ warnings: string[]; lostOwn: number }> {
    return childJson(__filename, { LB_HOUR_CACHE_WORKER: `${dir}|${id}|${rounds}` }, `process ${id}`);
  }

  describe('FileHourCacheStore', () => {
    test('the directory: $XDG_CACHE_HOME/lambda-behavior when absolute, else ~/.cache/lambda-behavior', () => {
      assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), path.join('/var/cache/me', 'lambda-behavior'));
      assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }), path.join(os.homedir(), '.cache', 'lambda-behavior'));
    });

    test('round trip: what is saved loads back, in one gzip file named for the account and region', async () => {
      const dir = freshDir();
      const store = new FileHourCacheStore(dir);
      assert.equal(store.location, dir);
      assert.deepEqual(await store.load(ACCOUNT), {}, 'nothing cached yet: no data, no warning');
      const data = cacheWith(['fn-a Invocations', 'fn-b Errors'], 24);
      await store.save(ACCOUNT, data);
      const loaded = await store.load(ACCOUNT);
      assert.equal(loaded.warning, undefined);
      assert.deepEqual(loaded.data?.sections, data.sections);
      assert.deepEqual(fs.readdirSync(dir), ['hours-123456789012-us-east-1.json.gz']);
      const bytes = fs.readFileSync(path.join(dir, 'hours-123456789012-us-east-1.json.gz'));
      assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip');
      assert.ok(bytes.length < JSON.stringify(data).length / 3, `gzip'd: ${bytes.length} of ${JSON.stringify(data).length} bytes`);
      // Another region of the same account is another file.
      assert.deepEqual(await store.load({ ...ACCOUNT, region: 'eu-west-1' }), {});
    });

    test('a save merges with what another store saved since it loaded: both keep their hours; the newer save wins a clash', async () => {
      const dir = freshDir();
      const a = new FileHourCacheStore(dir);
      const b = new FileHourCacheStore(dir);
      await a.save(ACCOUNT, cacheWith(['a', 'shared'], 3));
      const clash = cacheWith(['b', 'shared'], 3);
      clash.sections.metrics.shared[String(RECENT)] = [{ t: RECENT, v: 99 }];
      await b.save(ACCOUNT, clash);
      const loaded = (await a.load(ACCOUNT)).data;
      assert.deepEqual(keysOf(loaded), ['a', 'b', 'shared']);
      assert.deepEqual(loaded?.sections.metrics.shared[String(RECENT)], [{ t: RECENT, v: 99 }]);
      assert.equal(Object.keys(loaded?.sections.metrics.shared ?? {}).length, 3);
    });

    test(
      'two processes saving 40 times each, at once: every hour either saved is on disk, no temp or lock file stays',
      { timeout: 240_000 },
      async () => {
        const dir = freshDir();
        const [a, b] = await Promise.all([cli(dir, 'A', 40), cli(dir, 'B', 40)]);
        assert.deepEqual([...a.warnings, ...b.warnings], []);
        assert.equal(a.lostOwn + b.lostOwn, 0, `a save lost the other's hours: A ${a.lostOwn}, B ${b.lostOwn} times`);
        const data = (await new FileHourCacheStore(dir).load(ACCOUNT)).data;
        const expected = ['A', 'B'].flatMap((id) => Array.from({ length: 40 }, (_, i) => `${id}-${i}`)).sort();
        assert.deepEqual(keysOf(data), expected);
        assert.deepEqual(fs.readdirSync(dir), ['hours-123456789012-us-east-1.json.gz']);
      },
    );

    const corrupt: Array<[string, (whole: Buffer) => Buffer | string]> = [
      ['cut in half', (whole) => whole.subarray(0, Math.floor(whole.length / 2))],
      ['empty', () => ''],
      ['not gzip', () => '{"version":1}'],
      ['gzip of something not JSON', () => zlib.gzipSync('not json')],
      [
        'gzip of JSON of another shape',
        () => zlib.gzipSync(JSON.stringify({ version: 1, accountId: '123456789012', region: 'us-east-1' })),
      ],
    ];
    for (const [what, damage] of corrupt) {
      test(`a file ${what}: ignored with a warning naming it, rebuilt by the next save`, async () => {
        const dir = freshDir();
        const store = new FileHourCacheStore(dir);
        await store.save(ACCOUNT, cacheWith(['old'], 48));
        const file = store.file(ACCOUNT);
        fs.writeFileSync(file, damage(fs.readFileSync(file)));
        const loaded = await store.load(ACCOUNT);
        assert.equal(loaded.data, undefined, 'nothing from a damaged file is used');
        assert.ok(loaded.warning?.includes(file), loaded.warning);
        assert.match(loaded.warning ?? '', /is unreadable .*: ignored, rebuilt from AWS$/);
        await store.save(ACCOUNT, cacheWith(['new'], 2));
        const again = await store.load(ACCOUNT);
        assert.equal(again.warning, undefined);
        assert.deepEqual(keysOf(again.data), ['new'], 'the rebuilt file holds the new hours only');
      });
    }

    test('a file of another format version or another account: ignored with a warning, rebuilt', async () => {
      const dir = freshDir();
      const store = new FileHourCacheStore(dir);
      const file = store.file(ACCOUNT);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, zlib.gzipSync(JSON.stringify({ ...cacheWith(['x']), version: 2 })));
      const foreign = await store.load(ACCOUNT);
      assert.equal(foreign.data, undefined);
      assert.equal(
        foreign.warning,
        `the cache file ${file} is of another format (version 2, this build reads 1): ignored, rebuilt from AWS`,
      );
      fs.writeFileSync(
        file,
        zlib.gzipSync(JSON.stringify(cacheWith(['x'], 3, RECENT, { accountId: '210987654321', region: 'us-east-1' }))),
      );
      const other = await store.load(ACCOUNT);
      assert.equal(other.data, undefined);
      assert.match(other.warning ?? '', /holds another account's hours \(210987654321 us-east-1\)/);
      await store.save(ACCOUNT, cacheWith(['mine']));
      assert.deepEqual(keysOf((await store.load(ACCOUNT)).data), ['mine']);
    });

    test('the bound: a save drops hours older than any baseline in use, and management events past CloudTrail 90 days', async () => {
      const dir = freshDir();
      const store = new FileHourCacheStore(dir);
      const data = cacheWith(['recent'], 5);
      // Hours no recent scan asked for (a longer baseline, long ago): dropped.
      data.sections.metrics.older = cacheWith(['older'], 5, RECENT - 20 * 24 * HOUR).sections.metrics.older;
      const day = (n: number) => Math.floor((Date.now() - n * 24 * HOUR) / HOUR) * HOUR;
      const event = (t: number) => [{ eventId: `e${t}`, eventTime: t, eventSource: 'iam.amazonaws.com', eventName: 'PutRolePolicy' }];
      data.sections.management = { PutRolePolicy: { [String(day(80))]: event(day(80)), [String(day(95))]: event(day(95)) } };
      await store.save(ACCOUNT, data);
      const loaded = (await store.load(ACCOUNT)).data;
      assert.equal(Object.keys(loaded?.sections.metrics.recent ?? {}).length, 5);
      assert.equal(loaded?.sections.metrics.older, undefined, 'hours before any recent scan asked are dropped');
      assert.deepEqual(Object.keys(loaded?.sections.management?.PutRolePolicy ?? {}), [String(day(80))], 'management: 90 days kept');
    });

    test('list: every account and region in the directory with its hours and size; clear: one account, then all', async () => {
      const dir = freshDir();
      const store = new FileHourCacheStore(dir);
      const other: CacheAccount = { accountId: '210987654321', region: 'eu-west-1' };
      await store.save(ACCOUNT, cacheWith(['a', 'b'], 10));
      await store.save(other, cacheWith(['c'], 4, RECENT, other));
      // The ip-ranges copy shares the directory: neither listed nor cleared.
      fs.writeFileSync(path.join(dir, 'ip-ranges.json'), '{}');
      const listed = await store.list();
      assert.deepEqual(
        listed.map((s) => [s.accountId, s.region, s.hours, path.basename(s.file)]),
        [
          ['123456789012', 'us-east-1', 20, 'hours-123456789012-us-east-1.json.gz'],
          ['210987654321', 'eu-west-1', 4, 'hours-210987654321-eu-west-1.json.gz'],
        ],
      );
      assert.equal(listed[0].hours, cacheSummary(cacheWith(['a', 'b'], 10)).hours);
      assert.equal(listed[0].bytes, fs.statSync(listed[0].file).size);
      assert.equal(listed[0].newest, RECENT);
      assert.equal(listed[0].oldest, RECENT - 9 * HOUR);
      // A damaged file is still listed (so that it can be cleared), with no hours.
      fs.writeFileSync(store.file(other), 'garbage');
      assert.equal((await store.list())[1].hours, 0);
      await store.clear(other);
      assert.deepEqual(
        (await store.list()).map((s) => s.accountId),
        ['123456789012'],
      );
      await store.clear();
      assert.deepEqual(await store.list(), []);
      assert.deepEqual(fs.readdirSync(dir), ['ip-ranges.json']);
      assert.deepEqual(await new FileHourCacheStore(path.join(dir, 'none')).list(), [], 'no directory: nothing cached');
    });

    test('an account id or region with odd characters still makes one safe file name that lists back', async () => {
      const dir = freshDir();
      const store = new FileHourCacheStore(dir);
      const odd: CacheAccount = { accountId: 'acc-1/..', region: 'local-1' };
      await store.save(odd, cacheWith(['x'], 1, RECENT, odd));
      assert.deepEqual(fs.readdirSync(dir).length, 1);
      assert.ok(!fs.readdirSync(dir)[0].includes('/'));
      assert.deepEqual(
        (await store.list()).map((s) => [s.accountId, s.region]),
        [['acc-1/..', 'local-1']],
      );
    });

    test('a save that cannot write warns and resolves: the scan goes on, the hours are fetched again next time', async () => {
      const blocked = path.join(temp, `file-${++serial}`);
      fs.writeFileSync(blocked, 'a file where the directory should be');
      const warnings: string[] = [];
      const store = new FileHourCacheStore(blocked, { warn: (m) => warnings.push(m) });
      await store.save(ACCOUNT, cacheWith(['x']));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /could not save the cache of closed hours to .*hours-123456789012-us-east-1\.json\.gz/);
    });

    test("the lock: a lock left by a process that is gone is broken; a live one is waited for, and another's never removed", async () => {
      const dir = freshDir();
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'f');
      // A pid that is not running (the largest pid Linux allows is below 2^22).
      fs.writeFileSync(`${file}.lock`, `${os.hostname()} 4194999 dead`);
      assert.equal(await withFileLock(file, async () => 'ran'), 'ran');
      assert.equal(fs.existsSync(`${file}.lock`), false);
      // Held by this (live) process: waited for until it is released.
      fs.writeFileSync(`${file}.lock`, `${os.hostname()} ${process.pid} other`);
      const order: string[] = [];
      const waiting = withFileLock(file, async () => order.push('second'));
      await new Promise((r) => setTimeout(r, 150));
      order.push('first done');
      fs.rmSync(`${file}.lock`);
      await waiting;
      assert.deepEqual(order, ['first done', 'second']);
      // Held too long: the wait gives up and says by whom.
      fs.writeFileSync(`${file}.lock`, `${os.hostname()} ${process.pid} busy`);
      await assert.rejects(
        withFileLock(file, async () => undefined, { waitMs: 100 }),
        /f\.lock is held by another process/,
      );
      // Older than staleMs: broken even though its process lives.
      assert.equal(await withFileLock(file, async () => 'ran', { staleMs: 1 }), 'ran');
    });
  });
}
