// The cache of closed hours against moto_server, through the CLI as a user runs it (flow logs in CloudWatch Logs, then in S3): a second scan reads a fraction, --no-cache all, a cut file is ignored.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ScanReads, ScanReport } from '../../src/core/model';
import { buildMotoAccount, type MotoAccount } from '../support/moto-account';
import { motoSkipReason, startMoto, testCredentials, type MotoServer } from '../support/moto';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
/** A small ip-ranges document: live scans in tests never download AWS's. */
const IP_RANGES = path.join(root, 'test', 'fixtures', 'ip-ranges.json');
const REGION = 'us-east-1';
const DAYS = 10;
const BASELINE_DAYS = DAYS - 1;
const HOURS_SCANNED = DAYS * 24;
/** The hours a scan a moment later must fetch again: the hour now is in, the two-hour margin, and one the clock may cross. */
const TRAILING_HOURS = 4;

let moto: MotoServer;
let account: MotoAccount;
let temp: string;

/** Every finding, whole (kind, subject, severity, evidence), by function: a cached scan must say exactly what an uncached one says. */
function findings(report: ScanReport): unknown[] {
  return report.functions
    .flatMap((f) => f.findings.map((x) => ({ function: f.name, ...x })))
    .sort((a, b) => `${a.function} ${a.id}`.localeCompare(`${b.function} ${b.id}`));
}

/** A finding without the raw flow-log lines kept as its samples. */
function withoutSamples(finding: unknown): unknown {
  const f = finding as { evidence?: Record<string, unknown> };
  if (!f.evidence || !('samples' in f.evidence)) return f;
  const evidence = { ...f.evidence };
  delete evidence.samples;
  return { ...f, evidence };
}

/** What each function was seen doing: peers and API calls with their counts. */
function behaviour(report: ScanReport): unknown[] {
  return report.functions.map((f) => ({ name: f.name, peers: f.peers, apiCalls: f.apiCalls, enis: f.enis })).sort();
}

/** `scan` of the moto account through the CLI (JSON out), with `args` (the cache options); the report and stderr. */
function scanCli(args: string[], env: Record<string, string> = {}): { report: ScanReport; reads: ScanReads; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'scan',
      '--region',
      REGION,
      '--ip-ranges',
      IP_RANGES,
      '--flow-logs-query',
      'filter',
      '--now',
      account.now.toISOString(),
      '--baseline-days',
      String(BASELINE_DAYS),
      '--format',
      'json',
      '--fail-on',
      'none',
      ...args,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: cliEnv(env) },
  );
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ScanReport;
  assert.ok(report.reads, 'a live scan says what it read');
  return { report, reads: report.reads, stderr: r.stderr };
}

function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    // Never the user's own cache: a test that forgot --cache would write there.
    XDG_CACHE_HOME: path.join(temp, 'xdg'),
    ...extra,
  };
}

const requests = (reads: ScanReads, action: string) => reads.requests[action] ?? 0;

const DESTINATIONS = {
  'CloudWatch Logs, filter mode': {},
  S3: { s3: { bucket: 'cache-flow-logs', cloudWatch: false } },
} as const;

for (const [destination, options] of Object.entries(DESTINATIONS)) {
  describe(`the cache of closed hours against moto_server (flow logs in ${destination})`, { skip: motoSkipReason() }, () => {
    let first: ReturnType<typeof scanCli>;
    let noCache: ReturnType<typeof scanCli> | undefined;
    let cacheDir: string;
    let cacheFile: string;

    before(async () => {
      temp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-cache-moto-'));
      cacheDir = path.join(temp, 'cache');
      moto = await startMoto();
      await moto.reset();
      account = await buildMotoAccount(moto.endpoint, REGION, { days: DAYS, ...options });
      assert.equal(account.s3 !== undefined, destination === 'S3');
      cacheFile = path.join(cacheDir, `hours-${account.accountId}-${REGION}.json.gz`);
      assert.ok(fs.existsSync(cli), 'dist/cli.js: run `npm run -s build` first');
    });
    after(async () => {
      await moto?.stop();
      if (temp) fs.rmSync(temp, { recursive: true, force: true });
    });

    test('the first scan reads every hour and keeps the closed ones; the second, a moment later, reads a tenth at most and finds the same', () => {
      first = scanCli(['--cache', cacheDir]);
      assert.ok(first.reads.cache, 'the first scan went through the cache');
      assert.equal(first.reads.cache.location, cacheDir);
      assert.equal(first.reads.cache.hoursFromCache, 0, 'nothing was cached before');
      assert.ok(first.reads.bytesDownloaded > 100_000, `the flow records read: ${first.reads.bytesDownloaded} bytes`);
      assert.ok(requests(first.reads, 'cloudwatch:GetMetricData') > 0);
      assert.ok(fs.existsSync(cacheFile), `${cacheFile} written`);
      assert.ok(
        findings(first.report).some((f) => (f as { kind: string }).kind === 'new-peer'),
        'the account has its new peer',
      );

      const second = scanCli(['--cache', cacheDir]);
      const cache = second.reads.cache!;
      // The flow records of the closed hours come from the cache: a tenth of the bytes at most.
      assert.ok(
        second.reads.bytesDownloaded * 10 <= first.reads.bytesDownloaded,
        `flow-log bytes: ${second.reads.bytesDownloaded} then ${first.reads.bytesDownloaded}`,
      );
      for (const action of ['logs:FilterLogEvents', 's3:GetObject', 's3:ListBucket'])
        assert.ok(requests(second.reads, action) <= requests(first.reads, action) / (requests(first.reads, action) > 20 ? 10 : 1), action);
      // Each Lambda ENI's flows and each function's metrics: every hour but the trailing ones answered by the cache.
      const keys = account.enis.lambda.length + account.functions.length;
      assert.ok(
        cache.hoursFromCache >= keys * (HOURS_SCANNED - TRAILING_HOURS),
        `hours from the cache: ${cache.hoursFromCache}, expected at least ${keys} ENIs and functions x ${HOURS_SCANNED - TRAILING_HOURS} hours`,
      );
      // By source, the trailing hours only: the open hour and the two closed ones re-read for late records, per key.
      for (const section of ['flows', 'metrics']) {
        const s = cache.bySection?.[section];
        assert.ok(s && s.fromCache > 0, `${section}: answered from the cache (${JSON.stringify(cache.bySection)})`);
        const perKey = (s.fromCache + s.fetched) / HOURS_SCANNED;
        assert.ok(s.fetched <= perKey * TRAILING_HOURS, `${section}: ${s.fetched} hours fetched for ${perKey} key(s)`);
      }
      // CloudWatch answers every metric of a request in one GetMetricData for any range: the hours asked shrink, not the requests.
      assert.ok(requests(second.reads, 'cloudwatch:GetMetricData') <= requests(first.reads, 'cloudwatch:GetMetricData'));
      assert.deepEqual(findings(second.report), findings(first.report));
      assert.deepEqual(behaviour(second.report), behaviour(first.report));
    });

    test('--no-cache reads every hour again, and leaves the cache file as it was', () => {
      const before = fs.readFileSync(cacheFile);
      const mtime = fs.statSync(cacheFile).mtimeMs;
      const uncached = scanCli(['--no-cache']);
      assert.equal(uncached.reads.cache, undefined, 'no cache used');
      assert.ok(
        uncached.reads.bytesDownloaded >= first.reads.bytesDownloaded * 0.9,
        `flow-log bytes: ${uncached.reads.bytesDownloaded}, the first scan ${first.reads.bytesDownloaded}`,
      );
      for (const action of ['logs:FilterLogEvents', 's3:GetObject'])
        assert.equal(requests(uncached.reads, action), requests(first.reads, action), action);
      assert.deepEqual(fs.readFileSync(cacheFile), before);
      assert.equal(fs.statSync(cacheFile).mtimeMs, mtime);
      assert.equal(
        fs.existsSync(path.join(temp, 'xdg', 'lambda-behavior', path.basename(cacheFile))),
        false,
        'nor one in the default place',
      );
      noCache = uncached;
    });

    test('the scan with --no-cache finds exactly what the cached scans found, evidence included', () => {
      // The S3 reader reads objects newest first, the cache hands hours over oldest first: a finding's raw lines are
      // taken in time order whatever order the rows came in (peerSamples), so the evidence is the same.
      assert.ok(noCache, 'the --no-cache scan ran');
      assert.deepEqual(findings(noCache.report), findings(first.report));
      assert.deepEqual(behaviour(noCache.report), behaviour(first.report));
    });

    test('the scan with --no-cache finds the same findings (kinds, subjects, severities, counts; samples aside)', () => {
      assert.ok(noCache, 'the --no-cache scan ran');
      assert.deepEqual(findings(noCache.report).map(withoutSamples), findings(first.report).map(withoutSamples));
    });

    test('a cache file cut in half: ignored with a warning naming it, everything read from AWS, the same findings, the file rebuilt', () => {
      const whole = fs.readFileSync(cacheFile);
      fs.writeFileSync(cacheFile, whole.subarray(0, Math.floor(whole.length / 2)));
      const cut = scanCli(['--cache', cacheDir]);
      const warning = [...cut.report.warnings, cut.stderr].join('\n');
      assert.ok(warning.includes(cacheFile), `the warning names the file: ${warning}`);
      assert.match(warning, /unreadable/);
      assert.equal(cut.reads.cache?.hoursFromCache, 0, 'nothing from the cut file is used');
      assert.ok(cut.reads.bytesDownloaded >= first.reads.bytesDownloaded * 0.9);
      assert.deepEqual(findings(cut.report), findings(first.report));
      assert.deepEqual(behaviour(cut.report), behaviour(first.report));

      // Rebuilt: the next scan is answered from it again.
      const next = scanCli(['--cache', cacheDir]);
      assert.ok(!next.report.warnings.some((w) => w.includes(cacheFile)), next.report.warnings.join('\n'));
      assert.ok(next.reads.bytesDownloaded * 10 <= first.reads.bytesDownloaded);
      assert.deepEqual(findings(next.report), findings(first.report));
    });

    // The default directory and the cache command do not depend on where the flow logs go: checked once, not per destination.
    if (destination !== 'S3')
      test('by default the cache is $XDG_CACHE_HOME/lambda-behavior; `cache` lists it, `cache --clear` empties it; the text report says what was read', () => {
        const xdg = path.join(temp, 'xdg-default');
        const defaultDir = path.join(xdg, 'lambda-behavior');
        scanCli([], { XDG_CACHE_HOME: xdg });
        const run = (args: string[]) =>
          spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: cliEnv({ XDG_CACHE_HOME: xdg }) });
        const listed = run(['cache']);
        assert.equal(listed.status, 0, listed.stderr);
        assert.match(listed.stdout, new RegExp(`^Cache of closed hours in ${defaultDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
        assert.match(
          listed.stdout,
          new RegExp(
            `\\n${account.accountId}\\s+${REGION}\\s+\\d{3,}\\s+\\d+(\\.\\d)? KiB\\s+.*hours-${account.accountId}-${REGION}\\.json\\.gz\\n`,
          ),
        );
        const json = JSON.parse(run(['cache', '--format', 'json']).stdout) as { accounts: Array<{ accountId: string; hours: number }> };
        assert.deepEqual(
          json.accounts.map((a) => a.accountId),
          [account.accountId],
        );
        assert.ok(json.accounts[0].hours > 0);

        // The text report of a cached scan ends with what it read and what the cache answered.
        const text = spawnSync(
          process.execPath,
          [cli, 'scan', '--region', REGION, '--ip-ranges', IP_RANGES, '--flow-logs-query', 'filter', '--now', account.now.toISOString()],
          { encoding: 'utf8', env: cliEnv({ XDG_CACHE_HOME: xdg }) },
        );
        assert.match(text.stdout, /Read from AWS: .*the cache answered [\d,]+ of [\d,]+ hours \(cache: .*lambda-behavior\)/);

        assert.equal(run(['cache', '--clear', '--account', '000000000000']).stdout, `nothing to clear in ${defaultDir} for that account\n`);
        const cleared = run(['cache', '--clear', '--account', account.accountId, '--region', REGION]);
        assert.equal(cleared.status, 0, cleared.stderr);
        assert.match(cleared.stdout, /^cleared 1 cache file\(s\), .* from /);
        assert.equal(run(['cache']).stdout, `no account cached in ${defaultDir}\n`);
        // The ip-ranges copy a live scan keeps there is not the cache of hours: clear leaves it (here: none, --ip-ranges is a file).
        assert.deepEqual(
          fs.readdirSync(defaultDir).filter((f) => f.startsWith('hours-')),
          [],
        );
      });
  });
}

describe('the CLI: cache options and the cache command', () => {
  const sample = path.join(root, 'test', 'fixtures', 'scenarios', 'demo');

  test('--cache and --no-cache with a scenario or the demo are bad usage (exit 2) that says why', () => {
    for (const [args, flag] of [
      [['--scenario', sample, '--cache', '/tmp/x'], '--cache'],
      [['--demo', '--no-cache'], '--no-cache'],
    ] as const) {
      const r = spawnSync(process.execPath, [cli, 'scan', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `lambda-behavior: ${flag} is for a live scan: a scenario is read from its own files, never cached\n`);
    }
  });

  test('scan and permissions list --cache and --no-cache in --help; the cache command its options', () => {
    for (const command of ['scan', 'permissions']) {
      const help = spawnSync(process.execPath, [cli, command, '--help'], { encoding: 'utf8' }).stdout;
      assert.match(help, /--cache <dir>\s+live: keep the closed hours/);
      assert.match(help, /--no-cache\s+live: read every hour from AWS again/);
    }
    const help = spawnSync(process.execPath, [cli, 'cache', '--help'], { encoding: 'utf8' }).stdout;
    for (const option of ['--cache <dir>', '--clear', '--account <id>', '--region <region>', '--format <format>'])
      assert.ok(help.includes(option), option);
    assert.match(
      spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout,
      /\n  cache \[options\]\s+The cache of closed hours/,
    );
  });

  test('`cache --cache DIR` on an empty or missing directory says so', () => {
    const dir = path.join(os.tmpdir(), `lb-no-cache-${process.pid}`);
    const r = spawnSync(process.execPath, [cli, 'cache', '--cache', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `no account cached in ${dir}\n`);
  });
});
