// Flow logs in S3 without an emulator: AWS's key layout, the header line of an object (across chunk boundaries), a header unlike the LogFormat, KMS denials, the CLI's byte sizes.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import {
  parseS3FlowLogKey,
  s3DayPrefixes,
  s3Destination,
  s3ObjectInRange,
  S3_DELIVERY_LAG_MS,
  takeHeaderLine,
} from '../../src/core/flowlog/s3-objects';
import { DEFAULT_LOG_FORMAT } from '../../src/core/flowlog/format';
import type { FlowLogConfig, LambdaFunction, NetworkInterface } from '../../src/core/model';
import { SourceError, type FlowData, type TelemetrySource } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { classifyS3Error } from '../../src/aws/s3-flow-logs';
import { flowLogConfigFromAws } from '../../src/aws/fetch';
import { byteSize } from '../../src/cli/main';

const DAY = 86_400_000;

async function* chunksOf(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('latin1');
}

describe('the S3 key layout', () => {
  test('a destination ARN: the bucket, and a prefix that ends with a slash or is empty', () => {
    assert.deepEqual(s3Destination('arn:aws:s3:::flows'), { bucket: 'flows', prefix: '' });
    assert.deepEqual(s3Destination('arn:aws:s3:::flows/vpc/a/'), { bucket: 'flows', prefix: 'vpc/a/' });
    assert.deepEqual(s3Destination('arn:aws-us-gov:s3:::flows/x'), { bucket: 'flows', prefix: 'x/' });
    assert.equal(s3Destination('arn:aws:logs:us-east-1:1:log-group:x'), undefined);
    assert.equal(s3Destination(undefined), undefined);
  });

  test('one prefix per UTC day, delivery lag included at both edges; Hive-compatible names each level', () => {
    const start = Date.UTC(2026, 10, 20, 0, 5);
    const end = Date.UTC(2026, 10, 22, 23, 50);
    const plain = s3DayPrefixes({ bucket: 'b', prefix: 'p/' }, '123456789012', 'eu-west-1', { start, end });
    assert.deepEqual(plain, [
      'p/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/19/',
      'p/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/20/',
      'p/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/21/',
      'p/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/22/',
      'p/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/23/',
    ]);
    const hive = s3DayPrefixes(
      { bucket: 'b', prefix: '' },
      '123456789012',
      'eu-west-1',
      { start: start + DAY + 9 * 3_600_000, end: start + DAY + 10 * 3_600_000 },
      { hiveCompatiblePartitions: true, perHourPartition: true },
    );
    assert.deepEqual(hive, ['AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=21/']);
  });

  test('an object key: its account, region, flow log, delivery time and format; anything else is not a flow-log object', () => {
    const key =
      'p/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=21/hour=09/123456789012_vpcflowlogs_eu-west-1_fl-0a1b2c3d4e5f_20261121T0905Z_ab12cd34.log.gz';
    assert.deepEqual(parseS3FlowLogKey(key), {
      accountId: '123456789012',
      region: 'eu-west-1',
      flowLogId: 'fl-0a1b2c3d4e5f',
      time: Date.UTC(2026, 10, 21, 9, 5),
      fileFormat: 'plain-text',
    });
    assert.equal(parseS3FlowLogKey(key.replace('.log.gz', '.parquet'))?.fileFormat, 'parquet');
    assert.equal(parseS3FlowLogKey('AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/21/notes.txt'), undefined);
    assert.equal(parseS3FlowLogKey(key.replace('.log.gz', '.log')), undefined);
  });

  test('objects delivered within the lag of the range are kept, those beyond it are not', () => {
    const range = { start: 10 * DAY, end: 11 * DAY };
    assert.ok(s3ObjectInRange(range.start - S3_DELIVERY_LAG_MS, range));
    assert.ok(!s3ObjectInRange(range.start - S3_DELIVERY_LAG_MS - 60_000, range));
    assert.ok(s3ObjectInRange(range.end + S3_DELIVERY_LAG_MS - 60_000, range));
    assert.ok(!s3ObjectInRange(range.end + S3_DELIVERY_LAG_MS, range));
  });

  test('DescribeFlowLogs keeps DestinationOptions', () => {
    const f = flowLogConfigFromAws({
      FlowLogId: 'fl-1',
      LogDestinationType: 's3',
      LogDestination: 'arn:aws:s3:::b/p',
      DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: false },
    });
    assert.deepEqual(f.destinationOptions, { fileFormat: 'parquet', hiveCompatiblePartitions: true, perHourPartition: false });
    assert.equal(flowLogConfigFromAws({ FlowLogId: 'fl-2' }).destinationOptions, undefined);
  });
});

describe('the header line of a plain-text object', () => {
  const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
  const record = '2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 40000 6 3 300 1700000000 1700000060 ACCEPT OK';

  for (const size of [1, 7, 64, 4096]) {
    test(`taken off whatever the chunk size (${size}): its LogFormat, and the records after it intact`, async () => {
      const { logFormat, rest } = await takeHeaderLine(chunksOf(`${header}\n${record}\n${record}\n`, size));
      assert.equal(logFormat, DEFAULT_LOG_FORMAT);
      assert.equal(await collect(rest), `${record}\n${record}\n`);
    });
  }

  test('an object that starts with a record keeps it, and names no format', async () => {
    const { logFormat, rest } = await takeHeaderLine(chunksOf(`${record}\n`, 5));
    assert.equal(logFormat, undefined);
    assert.equal(await collect(rest), `${record}\n`);
  });

  test('a header alone, and an empty object', async () => {
    const only = await takeHeaderLine(chunksOf(header, 10));
    assert.equal(only.logFormat, DEFAULT_LOG_FORMAT);
    assert.equal(await collect(only.rest), '');
    const empty = await takeHeaderLine(chunksOf('', 10));
    assert.equal(empty.logFormat, undefined);
    assert.equal(await collect(empty.rest), '');
  });

  test('a read that fails inside the header fails when the rest is read', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('version acc');
      throw new Error('unexpected end of file');
    }
    const { logFormat, rest } = await takeHeaderLine(broken());
    // What came is no header (it was cut short): it is kept as records' bytes, and the failure is met after them.
    assert.equal(logFormat, undefined);
    const kept: string[] = [];
    await assert.rejects(async () => {
      for await (const c of rest) kept.push(Buffer.from(c).toString('latin1'));
    }, /unexpected end of file/);
    assert.deepEqual(kept, ['version acc']);
  });
});

describe('the engine with objects that name their own fields', () => {
  const fn: LambdaFunction = {
    name: 'orders',
    arn: 'arn:aws:lambda:us-east-1:123456789012:function:orders',
    role: 'arn:aws:iam::123456789012:role/orders-role',
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    tags: {},
    vpc: { vpcId: 'vpc-1', subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] },
  };
  const eni: NetworkInterface = {
    id: 'eni-1',
    type: 'lambda',
    description: 'AWS Lambda VPC ENI-orders-1656e770-2f1c-c974-71da-d1fa2edae9d8',
    subnetId: 'subnet-1',
    vpcId: 'vpc-1',
    securityGroupIds: ['sg-1'],
    privateIps: ['10.0.0.5'],
    ipv6Ips: [],
    since: Date.UTC(2026, 0, 1),
  };
  const flowLog: FlowLogConfig = {
    id: 'fl-1',
    logFormat: DEFAULT_LOG_FORMAT,
    destinationType: 's3',
    destination: 'arn:aws:s3:::b',
    resourceId: 'vpc-1',
    trafficType: 'ALL',
    status: 'ACTIVE',
  };
  const now = Date.UTC(2026, 10, 23);
  const t = Math.floor((now - 3_600_000) / 1000);

  function source(objects: Array<{ logFormat?: string; text: string }>, summary?: { read: string; unread?: string }): TelemetrySource {
    return {
      label: 'memory',
      account: async () => ({ accountId: '123456789012', region: 'us-east-1' }),
      listFunctions: async () => [fn],
      listNetworkInterfaces: async () => [eni],
      describeFlowLogs: async () => [flowLog],
      async *readFlowLog(): AsyncIterable<FlowData> {
        for (const [i, o] of objects.entries())
          yield { kind: 'raw', source: `s3://b/${i}`, chunks: chunksOf(o.text, 13), ...(o.logFormat ? { logFormat: o.logFormat } : {}) };
        if (summary) yield { kind: 'summary', ...summary };
      },
      async *lookupEvents() {},
      getMetrics: async () => [],
    };
  }

  test('each object is parsed by its own fields; a disagreement with LogFormat is warned once; coverage says what was read', async () => {
    const reordered =
      '${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';
    const line = (port: number) => `eni-1 10.0.0.5 10.0.9.9 40000 ${port} 6 3 300 ${t} ${t + 30} ACCEPT OK`;
    const report = await scan(
      source(
        [
          { logFormat: reordered, text: `${line(5432)}\n` },
          { logFormat: reordered, text: `${line(22)}\n` },
          { text: `2 123456789012 eni-1 10.0.0.5 10.0.9.9 40001 443 6 3 300 ${t} ${t + 30} ACCEPT OK\n` },
        ],
        { read: 'from S3 bucket b: 3 object(s), 1.2 kB' },
      ),
      { now, baselineDays: 3 },
    );
    const orders = report.functions[0];
    assert.deepEqual(
      orders.peers.map((p) => p.port).sort((a, b) => a - b),
      [22, 443, 5432],
    );
    assert.equal(report.warnings.filter((w) => /unlike its LogFormat/.test(w)).length, 1, report.warnings.join('\n'));
    assert.match(orders.coverage.network, /^complete.*fl-1 \(s3, from S3 bucket b: 3 object\(s\), 1\.2 kB\)/);
  });

  test('a summary with something left unread makes coverage partial, without an error kind, and is warned', async () => {
    const report = await scan(
      source([], {
        read: 'from S3 bucket b: 0 object(s), 0 bytes',
        unread: 'the S3 byte budget (1 kB) was reached: 2 older object(s) were not read; use Athena',
      }),
      { now, baselineDays: 3 },
    );
    assert.deepEqual(report.functions[0].coverageStatus?.network, { status: 'partial' });
    assert.match(report.functions[0].coverage.network, /byte budget .* use Athena/);
    assert.ok(report.warnings.some((w) => w.startsWith('flow log fl-1: the S3 byte budget')));
  });

  test('no summary: the S3 flow log was not read by this source', async () => {
    const report = await scan(source([]), { now, baselineDays: 3 });
    assert.match(report.functions[0].coverage.network, /^partial.*flow logs go to S3 bucket b: not read by memory/);
  });
});

describe('denied S3 reads', () => {
  test('a denied GetObject names s3:GetObject; one that KMS denied names kms:Decrypt', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const plain = classifyS3Error(denied, 's3:GetObject');
    assert.ok(SourceError.is(plain));
    assert.equal(plain.kind, 'access-denied');
    assert.equal(plain.iamAction, 's3:GetObject');
    const kms = Object.assign(
      new Error(
        'User: arn:aws:sts::1:assumed-role/dev/me is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:1:key/k',
      ),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    );
    const classified = classifyS3Error(kms, 's3:GetObject');
    assert.ok(SourceError.is(classified));
    assert.equal(classified.iamAction, 'kms:Decrypt');
    const list = classifyS3Error(
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
      's3:ListBucket',
    );
    assert.ok(SourceError.is(list));
    assert.equal(list.iamAction, 's3:ListBucket');
  });
});

describe('--max-s3-bytes', () => {
  test('sizes with units, or bytes', () => {
    assert.equal(byteSize('2GiB'), 2 * 1024 ** 3);
    assert.equal(byteSize('500MB'), 500e6);
    assert.equal(byteSize('1.5 kib'), 1536);
    assert.equal(byteSize('123'), 123);
    for (const bad of ['0', '-1', 'lots', '2XB', '']) assert.throws(() => byteSize(bad), /expected a size/);
  });
});
