// Flow logs delivered to S3, read directly against moto_server: the same findings as the same records through CloudWatch Logs, every key layout, Parquet, record → replay, the byte budget and denied reads.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { DeleteBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import type { FlowLogConfig, ScanReport } from '../../src/core/model';
import type { TelemetrySource } from '../../src/core/ports';
import { withHourCache } from '../../src/core/cache/cached-source';
import { MemoryHourCacheStore } from '../../src/core/cache/memory-store';
import { scan } from '../../src/core/scan';
import { createClients } from '../../src/aws/clients';
import { recordScenario } from '../../src/aws/record';
import { AwsSource } from '../../src/aws/source';
import { liveFlowWorkers, startedFlowWorkers, type FlowThreadOptions } from '../../src/node/flow-workers';
import { openScenario } from '../../src/replay/scenario';
import { buildMotoAccount, type MotoAccount, type MotoAccountOptions } from '../support/moto-account';
import { clientConfig, motoSkipReason, startMoto, testCredentials, type MotoServer } from '../support/moto';

const REGION = 'us-east-1';
const DAYS = 4;
const BASELINE_DAYS = DAYS - 1;
const BUCKET = 'orders-flow-logs';
const NETWORK_KINDS = new Set(['new-peer', 'rejected-traffic', 'traffic-spike']);

let moto: MotoServer;

function findings(report: ScanReport): string[] {
  return report.functions.flatMap((f) => f.findings.map((x) => `${f.name} ${x.kind} ${x.subject}`)).sort();
}

function networkFindings(report: ScanReport): string[] {
  return report.functions
    .flatMap((f) => f.findings.filter((x) => NETWORK_KINDS.has(x.kind)).map((x) => `${f.name} ${x.kind} ${x.subject}`))
    .sort();
}

/**
 * What each function reached, with the traffic counted: the two paths must agree record for record. `times` divides
 * the counts: moto's FilterLogEvents ignores logStreamNamePrefix, so the CloudWatch Logs path reads every stream once
 * per Lambda ENI it asks for (real CloudWatch Logs answers with the ENI's own stream).
 */
function peers(report: ScanReport, times = 1): string[] {
  return report.functions
    .flatMap((f) =>
      f.peers.map(
        (p) => `${f.name} ${p.address}:${p.port}/${p.protocol} flows=${p.flows / times} bytes=${p.bytes / times} baseline=${p.inBaseline}`,
      ),
    )
    .sort();
}

/** The CloudWatch Logs scan's peers as real CloudWatch Logs would count them (see `peers`). */
function cloudWatchPeers(report: ScanReport, account: MotoAccount): string[] {
  return peers(report, account.enis.lambda.length);
}

/** An ip-ranges document without the test's public addresses: they are external peers, and coverage can be complete. */
let ipRangesFile: string;

function source(options: { maxS3Bytes?: number; flowThreads?: FlowThreadOptions } = {}): AwsSource {
  const clients = createClients({ region: REGION, credentials: testCredentials, endpoint: moto.endpoint, maxAttempts: 1 });
  return new AwsSource(clients, { flowLogsQuery: 'filter', ipRanges: { location: ipRangesFile }, ...options });
}

/**
 * The source with the VPC's flow logs of one destination only, described as AWS describes them: moto drops
 * DestinationOptions and refuses a prefix in the bucket ARN, so the test puts back what AWS would answer.
 */
function only(inner: AwsSource, destinationType: 's3' | 'cloud-watch-logs', account: MotoAccount): TelemetrySource {
  const described = async (signal: AbortSignal): Promise<FlowLogConfig[]> =>
    (await inner.describeFlowLogs(signal))
      .filter((f) => f.destinationType === destinationType)
      .map((f) =>
        f.destinationType === 's3' && account.s3
          ? { ...f, destination: account.s3.destination, destinationOptions: account.s3.destinationOptions }
          : f,
      );
  return Object.assign(Object.create(inner) as AwsSource, { describeFlowLogs: described });
}

async function scanOf(src: TelemetrySource, account: MotoAccount): Promise<ScanReport> {
  return scan(src, { now: account.now.getTime(), baselineDays: BASELINE_DAYS });
}

async function freshAccount(options: MotoAccountOptions): Promise<MotoAccount> {
  await moto.reset();
  return buildMotoAccount(moto.endpoint, REGION, { days: DAYS, ...options });
}

/** Node's warning of an abort listener leak, which the CLI would print on stderr during a live scan. */
const listenerWarnings: string[] = [];
process.on('warning', (w) => {
  if (w.name === 'MaxListenersExceededWarning') listenerWarnings.push(w.message);
});

describe('flow logs delivered to S3, against moto_server', { skip: motoSkipReason() }, () => {
  before(async () => {
    ipRangesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lb-s3-ip-ranges-')), 'ip-ranges.json');
    fs.writeFileSync(
      ipRangesFile,
      JSON.stringify({
        syncToken: '1',
        createDate: '2026-01-01-00-00-00',
        prefixes: [{ ip_prefix: '3.5.140.0/22', region: 'ap-northeast-2', service: 'AMAZON' }],
        ipv6_prefixes: [],
      }),
    );
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  describe('plain text (gzip, header lines), the default layout', () => {
    let account: MotoAccount;
    let viaLogs: ScanReport;
    before(async () => {
      account = await freshAccount({ s3: { bucket: BUCKET } });
      const live = source();
      viaLogs = await scanOf(only(live, 'cloud-watch-logs', account), account);
      live.dispose();
    });

    test('the records read from S3 give the findings and peers the same records give through CloudWatch Logs', async () => {
      assert.ok(account.s3!.keys.length > 100, `objects written: ${account.s3!.keys.length}`);
      const live = source();
      const viaS3 = await scanOf(only(live, 's3', account), account);
      live.dispose();
      assert.deepEqual(findings(viaS3), findings(viaLogs));
      assert.deepEqual(peers(viaS3), cloudWatchPeers(viaLogs, account));
      // The injected new peer, and no other network finding: no false positive.
      const expected = `${account.expected.newPeer.function} new-peer ${account.expected.newPeer.subject}`;
      assert.deepEqual(networkFindings(viaS3), [expected]);
      const withPeer = viaS3.functions.find((f) => f.name === account.expected.newPeer.function)!;
      assert.match(withPeer.coverage.network, /^complete/);
      assert.match(withPeer.coverage.network, new RegExp(`from S3 bucket ${BUCKET}: \\d+ object\\(s\\), [\\d.]+ (kB|MB)`));
      assert.deepEqual(
        viaS3.warnings.filter((w) => /malformed|S3|header/.test(w)),
        [],
      );
    });

    test('parsed on threads (each object downloaded whole, inflated and parsed on one): the report the scanning thread gives', async () => {
      const withoutDurations = (report: ScanReport) => {
        const copy = structuredClone(report);
        delete copy.generatedAt;
        delete copy.stats?.durationMs;
        delete copy.stats?.stageMs;
        return copy;
      };
      const one = source({ flowThreads: { threads: 1 } });
      const onOneThread = await scanOf(only(one, 's3', account), account);
      one.dispose();
      const before = startedFlowWorkers();
      const many = source({ flowThreads: { threads: 2, minBytes: 0 } });
      const onThreads = await scanOf(only(many, 's3', account), account);
      many.dispose();
      // A thread starts only when every running one is busy: whether the second starts depends on how fast the first
      // parses each object as it arrives (it did in 1 of 3 runs here, as the machine's load allowed); never more than asked.
      const threads = startedFlowWorkers() - before;
      assert.ok(threads >= 1 && threads <= 2, `${threads} parsing thread(s) started for threads: 2`);
      assert.equal(liveFlowWorkers(), 0, 'the threads stopped with the scan');
      assert.ok((onThreads.stats?.flowRecordsAttributed ?? 0) > 1000, `records: ${onThreads.stats?.flowRecordsAttributed}`);
      assert.deepEqual(withoutDurations(onThreads), withoutDurations(onOneThread));
      // Through the cache of closed hours, as the CLI and the extension scan: the same findings and peers.
      const cachedSource = source({ flowThreads: { threads: 2, minBytes: 0 } });
      const now = account.now.getTime();
      const store = new MemoryHourCacheStore();
      const beforeCached = startedFlowWorkers();
      const viaCache = await scan(withHourCache(only(cachedSource, 's3', account), { store, clock: () => now }), {
        now,
        clock: () => now,
        baselineDays: BASELINE_DAYS,
      });
      cachedSource.dispose();
      assert.ok(startedFlowWorkers() > beforeCached, 'the cache asked for the objects, and they were parsed on threads');
      assert.deepEqual(findings(viaCache), findings(onOneThread));
      assert.deepEqual(peers(viaCache), peers(onOneThread));
    });

    test("record keeps the objects as delivered; the replay gives the live scan's findings", async () => {
      const live = source();
      const viaS3 = await scanOf(only(live, 's3', account), account);
      live.dispose();
      const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lb-s3-record-')), 'scenario');
      const clients = createClients({ region: REGION, credentials: testCredentials, endpoint: moto.endpoint, maxAttempts: 1 });
      try {
        const summary = await recordScenario(
          clients,
          { out: dir, baselineDays: BASELINE_DAYS, detectHours: 24, now: account.now.getTime(), ipRanges: { location: ipRangesFile } },
          new AbortController().signal,
        );
        // moto has no CloudTrail LookupEvents: only those fail.
        assert.deepEqual(
          Object.keys(summary.failures).filter((k) => !k.startsWith('cloudtrail:')),
          [],
        );
        assert.ok(summary.flowRecords >= account.s3!.records, `${summary.flowRecords} records recorded`);
      } finally {
        clients.destroy();
      }
      const recorded = fs
        .readdirSync(path.join(dir, 'flowlogs-s3'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.log.gz'));
      assert.ok(recorded.length > 0);
      // Byte for byte as delivered: gzip text whose first line names the fields.
      const first = recorded.find((f) => f.includes(account.s3!.flowLogId))!;
      const key = first.split(path.sep).join('/');
      assert.ok(account.s3!.keys.includes(key), key);
      const text = gunzipSync(fs.readFileSync(path.join(dir, 'flowlogs-s3', first))).toString('utf8');
      assert.match(text.split('\n')[0], /^version account-id interface-id srcaddr/);

      // The recording has both flow logs; the replay reads the S3 one alone, as the live scan did.
      const describePath = path.join(dir, 'ec2', 'describe-flow-logs.json');
      const described = JSON.parse(fs.readFileSync(describePath, 'utf8')) as { FlowLogs: Array<{ LogDestinationType?: string }> };
      fs.writeFileSync(describePath, JSON.stringify({ FlowLogs: described.FlowLogs.filter((f) => f.LogDestinationType === 's3') }));
      const replay = await scan(openScenario(dir), { now: account.now.getTime(), baselineDays: BASELINE_DAYS });
      assert.deepEqual(findings(replay), findings(viaS3));
      assert.deepEqual(peers(replay), peers(viaS3));
      const withPeer = replay.functions.find((f) => f.name === account.expected.newPeer.function)!;
      assert.match(withPeer.coverage.network, /^complete.*from S3 objects as recorded/);

      // Without the objects the replay says the S3 flow log was not read.
      fs.rmSync(path.join(dir, 'flowlogs-s3'), { recursive: true });
      const bare = await scan(openScenario(dir), { now: account.now.getTime(), baselineDays: BASELINE_DAYS });
      const bareFn = bare.functions.find((f) => f.name === account.expected.newPeer.function)!;
      assert.match(bareFn.coverage.network, new RegExp(`^partial.*flow logs go to S3 bucket ${BUCKET}: not read`));
      assert.deepEqual(networkFindings(bare), []);
    });

    test('past the byte budget the oldest objects are left unread, said in coverage with Athena advised; the detection window is read', async () => {
      const live = source({ maxS3Bytes: Math.floor(account.s3!.bytes / 3) });
      const viaS3 = await scanOf(only(live, 's3', account), account);
      live.dispose();
      const withPeer = viaS3.functions.find((f) => f.name === account.expected.newPeer.function)!;
      assert.equal(withPeer.coverageStatus?.network.status, 'partial');
      assert.match(
        withPeer.coverage.network,
        /S3 byte budget \([\d.]+ kB\) was reached: \d+ older object\(s\) \([\d.]+ kB\) delivered from .* were not read/,
      );
      assert.match(withPeer.coverage.network, /Athena/);
      assert.match(withPeer.coverage.network, /--max-s3-bytes/);
      assert.ok(
        viaS3.warnings.some((w) => /S3 byte budget/.test(w)),
        viaS3.warnings.join('\n'),
      );
      assert.ok(
        findings(viaS3).includes(`${account.expected.newPeer.function} new-peer ${account.expected.newPeer.subject}`),
        findings(viaS3).join('; '),
      );
    });

    // moto enforces a bucket policy's Deny on GetObject (not on ListBucket: that classification, and kms:Decrypt's, are tested apart).
    test('a denied GetObject is an access-denied coverage entry naming s3:GetObject', async () => {
      const s3 = new S3Client({ ...clientConfig(moto.endpoint, REGION), forcePathStyle: true });
      const deny = (action: string, resource: string) =>
        s3.send(
          new PutBucketPolicyCommand({
            Bucket: BUCKET,
            Policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Deny', Principal: '*', Action: action, Resource: resource }],
            }),
          }),
        );
      try {
        for (const [action, resource] of [['s3:GetObject', `arn:aws:s3:::${BUCKET}/*`]]) {
          await deny(action, resource);
          const live = source();
          const report = await scanOf(only(live, 's3', account), account);
          live.dispose();
          const fn = report.functions.find((f) => f.name === account.expected.newPeer.function)!;
          assert.equal(fn.coverageStatus?.network.errorKind, 'access-denied', `${fn.coverage.network}\n${report.warnings.join('\n')}`);
          assert.equal(fn.coverageStatus?.network.iamAction, action);
          assert.match(fn.coverage.network, new RegExp(`needs ${action}`));
          assert.ok(
            report.warnings.some((w) => w.includes(action)),
            report.warnings.join('\n'),
          );
          assert.deepEqual(networkFindings(report), []);
        }
      } finally {
        await s3.send(new DeleteBucketPolicyCommand({ Bucket: BUCKET }));
        s3.destroy();
      }
    });
  });

  test('Hive-compatible, per-hour partitions under a prefix: the same findings as through CloudWatch Logs', async () => {
    const account = await freshAccount({
      s3: { bucket: BUCKET, prefix: 'vpc/flows', hiveCompatiblePartitions: true, perHourPartition: true },
    });
    assert.match(
      account.s3!.keys[0],
      /^vpc\/flows\/AWSLogs\/aws-account-id=\d{12}\/aws-service=vpcflowlogs\/aws-region=us-east-1\/year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\//,
    );
    const live = source();
    const viaLogs = await scanOf(only(live, 'cloud-watch-logs', account), account);
    const viaS3 = await scanOf(only(live, 's3', account), account);
    live.dispose();
    assert.deepEqual(findings(viaS3), findings(viaLogs));
    assert.deepEqual(peers(viaS3), cloudWatchPeers(viaLogs, account));
    assert.ok(networkFindings(viaS3).includes(`${account.expected.newPeer.function} new-peer ${account.expected.newPeer.subject}`));
    // Told the plain layout instead, the reader lists the wrong prefixes and finds nothing: the layout is what finds them.
    const wrong = source();
    const plain = Object.assign(Object.create(wrong) as AwsSource, {
      describeFlowLogs: async (signal: AbortSignal) =>
        (await wrong.describeFlowLogs(signal))
          .filter((f) => f.destinationType === 's3')
          .map((f) => ({ ...f, destination: account.s3!.destination })),
    });
    const none = await scanOf(plain, account);
    wrong.dispose();
    assert.deepEqual(peers(none), []);
    assert.match(
      none.functions.find((f) => f.name === account.expected.newPeer.function)!.coverage.network,
      /from S3 bucket .*: 0 object\(s\)/,
    );
  });

  test('Parquet objects (written by the test, GZIP pages as AWS writes them): the same findings as through CloudWatch Logs', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const INT64 = new Set(['packets', 'bytes', 'start', 'end']);
    const account = await freshAccount({
      s3: {
        bucket: BUCKET,
        fileFormat: 'parquet',
        writeParquet: (columns) =>
          new Uint8Array(
            parquetWriteBuffer({
              codec: 'GZIP',
              compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) },
              columnData: columns.map((c) => {
                const numeric = c.values.some((v) => typeof v === 'number');
                if (!numeric) return { name: c.name, data: c.values, type: 'STRING' as const };
                if (INT64.has(c.name))
                  return { name: c.name, data: c.values.map((v) => (v === null ? null : BigInt(v))), type: 'INT64' as const };
                return { name: c.name, data: c.values, type: 'INT32' as const };
              }),
            }),
          ),
      },
    });
    assert.ok(account.s3!.keys.every((k) => k.endsWith('.parquet')));
    const live = source();
    const viaLogs = await scanOf(only(live, 'cloud-watch-logs', account), account);
    const viaS3 = await scanOf(only(live, 's3', account), account);
    live.dispose();
    assert.deepEqual(findings(viaS3), findings(viaLogs));
    assert.deepEqual(peers(viaS3), cloudWatchPeers(viaLogs, account));
    assert.ok(networkFindings(viaS3).includes(`${account.expected.newPeer.function} new-peer ${account.expected.newPeer.subject}`));
    // Parquet names its columns account_id, log_status...: the same fields as the LogFormat, so nothing to warn about.
    assert.deepEqual(
      viaS3.warnings.filter((w) => /header|malformed/.test(w)),
      [],
    );
  });

  // Last: every scan above read objects ahead, each request listening on the scan's one signal (expected, not a leak).
  test('the objects requested ahead raise no MaxListenersExceededWarning (the CLI would print it)', () => {
    assert.deepEqual(listenerWarnings, []);
  });
});
