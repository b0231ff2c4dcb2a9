// A live scan through the real SDK clients against moto_server, from the CLI as a user runs it, then record → replay gives the same findings.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ScanReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { createClients } from '../../src/aws/clients';
import { AwsSource } from '../../src/aws/source';
import { buildMotoAccount, type MotoAccount } from '../support/moto-account';
import { motoSkipReason, startMoto, testCredentials, type MotoServer } from '../support/moto';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
/** A small ip-ranges document: live scans in tests never download AWS's. */
const IP_RANGES = path.join(root, 'test', 'fixtures', 'ip-ranges.json');
const REGION = 'us-east-1';
const DAYS = 10;
/** The account holds DAYS days of data: the baseline is what lies before the last day. */
const BASELINE_DAYS = DAYS - 1;

let moto: MotoServer;
let account: MotoAccount;
const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-moto-scan-cache-'));

function findings(report: ScanReport): string[] {
  return report.functions.flatMap((f) => f.findings.map((x) => `${f.name} ${x.kind} ${x.subject}`)).sort();
}

function runCli(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      // The cache of closed hours of this run's own: never the user's, never an earlier run's moto account.
      XDG_CACHE_HOME: cacheHome,
    },
  });
}

describe('live scan against moto_server', { skip: motoSkipReason() }, () => {
  before(async () => {
    moto = await startMoto();
    await moto.reset();
    account = await buildMotoAccount(moto.endpoint, REGION, { days: DAYS });
  });
  after(async () => {
    await moto?.stop();
    fs.rmSync(cacheHome, { recursive: true, force: true });
  });

  test('the engine through AwsSource (FilterLogEvents): peers, the new peer and the invocation spike', async () => {
    const clients = createClients({ region: REGION, credentials: testCredentials, endpoint: moto.endpoint, maxAttempts: 2 });
    const source = new AwsSource(clients, { flowLogsQuery: 'filter', ipRanges: { location: IP_RANGES } });
    const report = await scan(source, { now: account.now.getTime(), baselineDays: BASELINE_DAYS });
    source.dispose();
    assert.equal(report.accountId, account.accountId);
    assert.deepEqual(report.functions.map((f) => f.name).sort(), account.functions.map((f) => f.name).sort());
    const withPeer = report.functions.find((f) => f.name === account.expected.newPeer.function)!;
    const finding = withPeer.findings.find((f) => f.kind === 'new-peer' && f.subject === account.expected.newPeer.subject);
    assert.ok(finding, `no new-peer ${account.expected.newPeer.subject}: ${findings(report).join('; ')}`);
    assert.equal(finding.attribution, account.expected.newPeer.attribution);
    assert.ok(
      withPeer.peers.some((p) => p.inBaseline && p.flows > 0),
      'baseline peers are seen again today',
    );
    assert.ok(withPeer.enis.length > 0);
    const spiking = report.functions.find((f) => f.name === account.expected.invocationSpike.function)!;
    assert.ok(
      spiking.findings.some((f) => f.kind === 'invocation-spike'),
      findings(report).join('; '),
    );
    // moto has no CloudTrail LookupEvents: that source fails alone, and says so.
    for (const fn of report.functions) {
      assert.match(fn.coverage.cloudtrail, /^failed/);
      assert.match(fn.coverage.metrics, /^(complete|no data)/);
    }
    assert.match(withPeer.coverage.network, /^complete/);
    const shared = report.functions.filter((f) => account.expected.sharedEni.functions.includes(f.name));
    assert.ok(shared.every((f) => f.enis.some((e) => e.id === account.expected.sharedEni.eniId && e.sharedWith.length === 1)));
  });

  test('the CLI: scan --region honours AWS_ENDPOINT_URL; record writes a scenario that replays to the same findings', () => {
    const now = account.now.toISOString();
    const live = runCli([
      'scan',
      '--region',
      REGION,
      '--ip-ranges',
      IP_RANGES,
      '--flow-logs-query',
      'filter',
      '--now',
      now,
      '--baseline-days',
      String(BASELINE_DAYS),
      '--format',
      'json',
    ]);
    assert.equal(live.status, 1, live.stderr);
    const liveReport = JSON.parse(live.stdout) as ScanReport;
    assert.ok(findings(liveReport).includes(`${account.expected.newPeer.function} new-peer ${account.expected.newPeer.subject}`));

    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lb-record-')), 'scenario');
    const rec = runCli(['record', '--region', REGION, '--ip-ranges', IP_RANGES, '--out', dir, '--baseline-days', String(BASELINE_DAYS)]);
    assert.equal(rec.status, 0, rec.stderr);
    assert.match(rec.stdout, /recorded \d+ function/);
    for (const f of [
      'scenario.json',
      'lambda/list-functions.json',
      'ec2/describe-network-interfaces.json',
      'ec2/describe-flow-logs.json',
      'cloudtrail/lookup-events.json',
      'cloudwatch/get-metric-data.json',
    ]) {
      assert.ok(fs.existsSync(path.join(dir, f)), f);
    }
    assert.ok(fs.readdirSync(path.join(dir, 'flowlogs')).some((f) => f.endsWith('.log.gz')));
    const replay = runCli(['scan', '--scenario', dir, '--baseline-days', String(BASELINE_DAYS), '--now', now, '--format', 'json']);
    assert.ok(replay.status === 1, replay.stderr);
    assert.deepEqual(findings(JSON.parse(replay.stdout) as ScanReport), findings(liveReport));

    const redactedDir = path.join(path.dirname(dir), 'redacted');
    assert.equal(
      runCli([
        'record',
        '--region',
        REGION,
        '--ip-ranges',
        IP_RANGES,
        '--out',
        redactedDir,
        '--baseline-days',
        String(BASELINE_DAYS),
        '--redact',
      ]).status,
      0,
    );
    const redactedText = fs.readFileSync(path.join(redactedDir, 'lambda', 'list-functions.json'), 'utf8');
    assert.ok(!redactedText.includes(account.accountId), 'the account id is gone');
    const redacted = JSON.parse(
      runCli(['scan', '--scenario', redactedDir, '--baseline-days', String(BASELINE_DAYS), '--now', now, '--format', 'json']).stdout,
    ) as ScanReport;
    assert.notEqual(redacted.accountId, account.accountId);
    // Private addresses are kept, so the same findings come back.
    assert.deepEqual(findings(redacted), findings(liveReport));
  });
});
