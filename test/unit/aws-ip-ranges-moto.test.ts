// A live scan from the CLI against moto_server with AWS's ip-ranges document served locally: service peers named, and said when there is none.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsIpRangesFile } from '../../src/aws/ip-ranges';
import { AwsIpRanges } from '../../src/core/inventory/resources';
import type { FunctionReport, PeerReport, ScanReport } from '../../src/core/model';
import { buildMotoAccount, type MotoAccount } from '../support/moto-account';
import { clientConfig, motoSkipReason, startMoto, testCredentials, type MotoServer } from '../support/moto';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const REGION = 'us-east-1';
const DAYS = 3;
const BASELINE_DAYS = DAYS - 1;
const HOUR = 3_600_000;
const NO_DOCUMENT = /^no ip-ranges document: .+; AWS service addresses cannot be told from external ones$/;

/**
 * The ranges the scan is given: S3 (with AMAZON's identical prefix, as AWS publishes it), DynamoDB around the
 * account's DynamoDB address, and AMAZON alone around its SQS address.
 */
const DOCUMENT: AwsIpRangesFile = {
  syncToken: '1764000000',
  createDate: '2026-11-24-12-00-00',
  prefixes: [
    { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'S3' },
    { ip_prefix: '52.94.128.0/20', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '52.94.128.0/20', region: 'us-east-1', service: 'DYNAMODB' },
    { ip_prefix: '52.46.128.0/19', region: 'us-east-1', service: 'AMAZON' },
  ],
  ipv6_prefixes: [],
};
const ranges = new AwsIpRanges(DOCUMENT);
const S3_BASELINE = ['52.216.8.10', '52.216.8.11', '52.216.140.3'];
/** S3's addresses rotate: every connection of the detection window reaches one the baseline never saw. */
const s3Detect = (i: number) => `52.217.${100 + Math.floor(i / 200)}.${1 + (i % 200)}`;

let moto: MotoServer;
let account: MotoAccount;
let server: http.Server;
let documentUrl: string;
let served = 0;
let tmp: string;

/** The CLI as a user runs it; asynchronously, because the document's server is in this process and must answer meanwhile. */
function runCli(args: string[], cacheHome: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      XDG_CACHE_HOME: cacheHome,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function liveScan(ipRanges: string, cacheHome: string): Promise<{ report: ScanReport; stderr: string }> {
  const r = await runCli(
    [
      'scan',
      '--region',
      REGION,
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
      '--ip-ranges',
      ipRanges,
    ],
    cacheHome,
  );
  assert.equal(r.status, 0, r.stderr);
  return { report: JSON.parse(r.stdout) as ScanReport, stderr: r.stderr };
}

function fn(report: ScanReport, name: string): FunctionReport {
  const f = report.functions.find((x) => x.name === name);
  assert.ok(f, `${name} is in the report`);
  return f;
}

/** The service a peer row names: its `service` (when service peers are grouped) or the ip-ranges name in `resource`. */
function serviceOf(p: PeerReport): string | undefined {
  if (p.service) return `${p.service.name} (${p.service.region})`;
  const named = /^AWS (\S+) \(([^)]+)\)$/.exec(p.resource);
  return named ? `${named[1]} (${named[2]})` : undefined;
}

/** Writes S3 conversations on OrdersApi's own ENI into a stream of its own (FilterLogEvents reads the ENI's streams by prefix). */
async function addS3Traffic(): Promise<void> {
  const api = account.enis.lambda.find((e) => e.functions.length === 1 && e.functions[0] === 'OrdersApi');
  assert.ok(api, 'OrdersApi has an ENI of its own');
  const events: Array<{ timestamp: number; message: string }> = [];
  const record = (t: number, src: string, dst: string, sport: number, dport: number) =>
    `2 ${account.accountId} ${api.id} ${src} ${dst} ${sport} ${dport} 6 12 4800 ${Math.floor(t / 1000)} ${Math.floor(t / 1000) + 30} ACCEPT OK`;
  const converse = (t: number, s3: string, i: number) => {
    const eph = 40000 + (i % 20000);
    events.push(
      { timestamp: t, message: record(t, api.privateIp, s3, eph, 443) },
      { timestamp: t, message: record(t, s3, api.privateIp, 443, eph) },
    );
  };
  let i = 0;
  for (let t = account.window.baselineStart.getTime() + HOUR; t < account.window.detectStart.getTime() - HOUR; t += HOUR / 2, i++)
    converse(t, S3_BASELINE[i % S3_BASELINE.length], i);
  let k = 0;
  for (let t = account.window.detectStart.getTime() + HOUR; t < account.now.getTime() - HOUR; t += HOUR / 2, k++)
    converse(t, s3Detect(k), i + k);
  const logs = new CloudWatchLogsClient(clientConfig(moto.endpoint, REGION));
  try {
    const logStreamName = `${api.id}-s3`;
    await logs.send(new CreateLogStreamCommand({ logGroupName: account.logGroupName, logStreamName }));
    // In order, and no batch spanning 24 hours: what PutLogEvents accepts.
    for (let from = 0; from < events.length;) {
      let to = from;
      while (to < events.length && events[to].timestamp - events[from].timestamp < 23 * HOUR) to++;
      const r = await logs.send(
        new PutLogEventsCommand({ logGroupName: account.logGroupName, logStreamName, logEvents: events.slice(from, to) }),
      );
      assert.equal(r.rejectedLogEventsInfo, undefined, JSON.stringify(r.rejectedLogEventsInfo));
      from = to;
    }
  } finally {
    logs.destroy();
  }
}

describe('live scan with ip-ranges against moto_server', { skip: motoSkipReason() }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-ip-ranges-moto-'));
    server = http.createServer((_req, res) => {
      served++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(DOCUMENT));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    documentUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ip-ranges.json`;
    moto = await startMoto();
    await moto.reset();
    account = await buildMotoAccount(moto.endpoint, REGION, { days: DAYS });
    await addS3Traffic();
  });
  after(async () => {
    await moto?.stop();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  test("--ip-ranges URL: S3, DynamoDB and AMAZON-only addresses are named as AWS's; the document is cached for the next scan", async () => {
    const cacheHome = path.join(tmp, 'cache');
    const { report } = await liveScan(documentUrl, cacheHome);
    assert.ok(!report.warnings.some((w) => /ip-ranges/.test(w)), report.warnings.join('\n'));
    const api = fn(report, 'OrdersApi');
    const s3Peers = api.peers.filter((p) => serviceOf(p) === 'S3 (us-east-1)');
    assert.ok(s3Peers.length > 0, `OrdersApi reaches S3: ${api.peers.map((p) => `${p.address} ${p.resource}`).join('; ')}`);
    // Whether each address is a row or S3 is one row, no S3 address reads as an unknown server.
    for (const p of api.peers) {
      if (ranges.lookup(p.address)?.service === 'S3') assert.equal(serviceOf(p), 'S3 (us-east-1)', `${p.address} is ${p.resource}`);
    }
    assert.ok(
      api.peers.some((p) => serviceOf(p) === 'DYNAMODB (us-east-1)'),
      'DynamoDB is named',
    );
    const worker = fn(report, 'OrdersWorker');
    assert.ok(
      worker.peers.some((p) => p.address === '52.46.159.78' && p.resource === 'AWS (us-east-1)'),
      "an AMAZON-only address is AWS's, no service named",
    );
    assert.ok(
      api.findings.some((f) => f.kind === 'new-peer' && f.subject === account.expected.newPeer.subject),
      'the bastion is still a new peer',
    );
    // The directory also holds the cache of closed hours (hours-<account>-<region>.json.gz): one ip-ranges copy among them.
    const cached = fs.readdirSync(path.join(cacheHome, 'lambda-behavior')).filter((f) => !f.startsWith('hours-'));
    assert.equal(cached.length, 1, cached.join(', '));
    assert.match(cached[0], /^ip-ranges-[0-9a-f]{16}\.json$/);

    const before = served;
    const again = (await liveScan(documentUrl, cacheHome)).report;
    assert.equal(served, before, 'the second scan within the day reads the cached copy');
    assert.ok(fn(again, 'OrdersApi').peers.some((p) => serviceOf(p) === 'S3 (us-east-1)'));
  });

  test('no ip-ranges document (nothing listening, nothing cached): the warnings say so', async () => {
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/ip-ranges.json`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const { report, stderr } = await liveScan(deadUrl, path.join(tmp, 'empty-cache'));
    const said = report.warnings.filter((w) => NO_DOCUMENT.test(w));
    assert.equal(said.length, 1, report.warnings.join('\n'));
    assert.ok(said[0].includes(deadUrl), said[0]);
    assert.match(stderr, /no ip-ranges document: /);
    assert.ok(!fn(report, 'OrdersApi').peers.some((p) => serviceOf(p) === 'S3 (us-east-1)'), 'without the document nothing is named S3');
  });

  test('record --ip-ranges stores the document it used as ip-ranges.json, and the replay names the same services', async () => {
    const dir = path.join(tmp, 'scenario');
    const rec = await runCli(
      ['record', '--region', REGION, '--out', dir, '--baseline-days', String(BASELINE_DAYS), '--ip-ranges', documentUrl],
      path.join(tmp, 'record-cache'),
    );
    assert.equal(rec.status, 0, rec.stderr);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'ip-ranges.json'), 'utf8')), DOCUMENT);
    const replay = await runCli(
      [
        'scan',
        '--scenario',
        dir,
        '--baseline-days',
        String(BASELINE_DAYS),
        '--now',
        account.now.toISOString(),
        '--format',
        'json',
        '--fail-on',
        'none',
      ],
      tmp,
    );
    assert.equal(replay.status, 0, replay.stderr);
    const api = fn(JSON.parse(replay.stdout) as ScanReport, 'OrdersApi');
    assert.ok(api.peers.some((p) => serviceOf(p) === 'S3 (us-east-1)'));
    assert.ok(api.peers.some((p) => serviceOf(p) === 'DYNAMODB (us-east-1)'));

    const redacted = path.join(tmp, 'redacted');
    assert.equal(
      (
        await runCli(
          [
            'record',
            '--region',
            REGION,
            '--out',
            redacted,
            '--baseline-days',
            String(BASELINE_DAYS),
            '--redact',
            '--ip-ranges',
            documentUrl,
          ],
          path.join(tmp, 'record-cache'),
        )
      ).status,
      0,
    );
    assert.deepEqual(
      JSON.parse(fs.readFileSync(path.join(redacted, 'ip-ranges.json'), 'utf8')),
      DOCUMENT,
      'public data: recorded as published',
    );
  });

  test("no new-peer finding for S3's new addresses", async () => {
    const { report } = await liveScan(documentUrl, path.join(tmp, 'cache'));
    const api = fn(report, 'OrdersApi');
    const s3Findings = api.findings.filter(
      (f) =>
        f.kind === 'new-peer' && (f.subject.startsWith('aws:S3:') || ranges.lookup(f.subject.replace(/:\d+\/\w+$/, ''))?.service === 'S3'),
    );
    assert.deepEqual(
      s3Findings.map((f) => f.subject),
      [],
    );
  });
});
