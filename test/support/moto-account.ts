// Builds a small, realistic Lambda account in moto through the real SDK clients (VPC, ENIs, functions, flow logs, metrics) and describes it for tests.
//
// moto 5.2.1 limitations met here (details in test/unit/aws-moto-harness.test.ts):
// - CreateNetworkInterface ignores InterfaceType "lambda": every ENI comes back as "interface", Status
//   "available", RequesterManaged false, RequesterId moto's own user. Only the Description marks Lambda ENIs.
// - moto creates no Hyperplane ENIs for VPC functions, so they are made here by hand; Lambda's
//   VpcConfig.VpcId is always "vpc-123abc" whatever the subnets are.
// - PutMetricData bodies the SDK gzips (>= 10 KiB) make moto answer 500, hence disableRequestCompression.
// - CreateFlowLogs reports DeliverLogsStatus FAILED unless the log group exists first; CreationTime is
//   always "now"; nothing is delivered, so the records are written with PutLogEvents.
// - PutLogEvents silently drops events older than 14 days (by moto's wall clock) or > 2 h ahead.
import { randomUUID } from 'node:crypto';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFlowLogsCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { poissonSample, seeded } from './random';
import { clientConfig } from './moto';

/** The default (version 2) flow-log format, as AWS spells it. */
export const DEFAULT_FLOW_LOG_FORMAT =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

/** A custom format with v3–v5 fields, in an order unlike the default, for parser tests. */
export const CUSTOM_FLOW_LOG_FORMAT =
  '${interface-id} ${flow-direction} ${srcaddr} ${srcport} ${dstaddr} ${dstport} ${protocol} ${action} ${start} ${end} ${bytes} ${packets} ${tcp-flags} ${vpc-id} ${subnet-id} ${version} ${account-id} ${log-status} ${pkt-srcaddr} ${pkt-dstaddr} ${traffic-path}';

export interface MotoAccountOptions {
  /** The scan's "now"; must be within a few days of the real clock (moto drops log events older than 14 days). Default: the current minute. */
  now?: Date;
  /** Days of history, flow records and metrics alike; the last 24 h are the detection window. 2–13, default 10. */
  days?: number;
  /** Seed for the traffic and invocation counts. Default 1. */
  seed?: number;
  /** The flow log's LogFormat; records are written in it. Default: the v2 format, passed explicitly. */
  logFormat?: string;
  logGroupName?: string;
  /** Also deliver the records to S3, as objects of a second flow log on the VPC (see MotoS3Delivery). */
  s3?: MotoS3DeliveryOptions;
}

/**
 * Flow logs delivered to S3. moto 5.2.1 accepts an `s3` flow log to a bucket ARN without a prefix only, does not
 * keep DestinationOptions and delivers nothing: the objects are written here, in AWS's key layout, one per 10-minute
 * delivery interval, each gzip text starting with its header line (or Parquet through `writeParquet`).
 */
export interface MotoS3DeliveryOptions {
  bucket: string;
  /** Put in the keys (as AWS does for `arn:aws:s3:::bucket/prefix`); moto's flow log still names the bare bucket. */
  prefix?: string;
  hiveCompatiblePartitions?: boolean;
  perHourPartition?: boolean;
  fileFormat?: 'plain-text' | 'parquet';
  /** Writes one Parquet object from columns named as AWS names them (`account_id`), '-' values as null. */
  writeParquet?: (columns: Array<{ name: string; values: Array<string | number | null> }>) => Uint8Array | Promise<Uint8Array>;
  /** The CloudWatch Logs flow log and its records too (default true); without them the S3 flow log is the VPC's only one. */
  cloudWatch?: boolean;
}

export interface MotoS3Delivery {
  bucket: string;
  flowLogId: string;
  /** The destination as AWS would describe it (with the prefix), and the DestinationOptions moto leaves out. */
  destination: string;
  destinationOptions: { fileFormat: string; hiveCompatiblePartitions: boolean; perHourPartition: boolean };
  /** Object keys written, oldest first, and their bytes. */
  keys: string[];
  bytes: number;
  records: number;
}

export interface MotoFunction {
  name: string;
  arn: string;
  roleArn: string;
  inVpc: boolean;
  subnetIds: string[];
  securityGroupIds: string[];
  /** The Hyperplane-like ENIs its subnet + security-group set maps to. */
  eniIds: string[];
}

export interface MotoEni {
  id: string;
  kind: 'lambda' | 'rds' | 'instance';
  privateIp: string;
  subnetId: string;
  securityGroupIds: string[];
  description: string;
  /** Functions whose VpcConfig maps to this ENI (Lambda ENIs only). */
  functions: string[];
  /** `<eni-id>-all`, the flow log's stream for this ENI. */
  logStream: string;
  instanceId?: string;
}

export interface MotoAccount {
  accountId: string;
  region: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: { app: string; rds: string; bastion: string };
  functions: MotoFunction[];
  enis: { lambda: MotoEni[]; rds: MotoEni; instance: MotoEni };
  flowLogId: string;
  /** Set when the records were also delivered to S3. */
  s3?: MotoS3Delivery;
  logGroupName: string;
  logFormat: string;
  /** What was written to the log group: records per stream and the event-time span (ms). */
  flowRecords: { total: number; byStream: Record<string, number>; firstMs: number; lastMs: number };
  metrics: {
    namespace: 'AWS/Lambda';
    metricNames: string[];
    periodSeconds: 3600;
    /** Hour-aligned; datapoints lie in [start, end). */
    start: Date;
    end: Date;
    datapoints: number;
  };
  now: Date;
  window: { baselineStart: Date; detectStart: Date; detectEnd: Date };
  expected: {
    newPeer: { function: string; subject: string; eniId: string; attribution: 'exact'; firstSeen: Date };
    invocationSpike: { function: string; subject: 'Invocations'; hours: Date[] };
    sharedEni: { eniId: string; functions: string[]; descriptionNames: string };
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FLOW_INTERVAL_S = 600;
const LOG_BATCH_EVENTS = 10_000;
const LOG_BATCH_BYTES = 1_048_576;
const METRIC_BATCH = 1_000;

const FN_API = 'OrdersApi';
const FN_WORKER = 'OrdersWorker';
const FN_THUMBS = 'ThumbnailMaker';

const RDS_IP = '10.0.2.30';
const BASTION_IP = '10.0.1.37';
/** A DynamoDB endpoint address in us-east-1, reached through the NAT gateway. */
const DYNAMO_IP = '52.94.133.131';
const SQS_IP = '52.46.159.78';

/** Builds the account in moto; see the file comment. Resets nothing: call `reset()` first for a clean account. */
export async function buildMotoAccount(endpoint: string, region: string, options: MotoAccountOptions = {}): Promise<MotoAccount> {
  const days = options.days ?? 10;
  if (!Number.isInteger(days) || days < 2 || days > 13) throw new Error(`days must be an integer in 2..13, got ${days}`);
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 60_000) * 60_000);
  const oldestAccepted = Date.now() - 14 * DAY + HOUR;
  if (now.getTime() - days * DAY < oldestAccepted || now.getTime() > Date.now() + HOUR) {
    throw new Error(`now ${now.toISOString()} minus ${days} days falls outside moto's 14-day log window`);
  }
  const logFormat = options.logFormat ?? DEFAULT_FLOW_LOG_FORMAT;
  const logGroupName = options.logGroupName ?? '/vpc/flow-logs/orders';
  const rand = seeded(options.seed ?? 1);

  const cfg = clientConfig(endpoint, region);
  const ec2 = new EC2Client(cfg);
  const iam = new IAMClient(cfg);
  const lambda = new LambdaClient(cfg);
  const logs = new CloudWatchLogsClient(cfg);
  const cw = new CloudWatchClient({ ...cfg, disableRequestCompression: true });
  const sts = new STSClient(cfg);
  const s3 = new S3Client({ ...cfg, forcePathStyle: true });
  try {
    // Phases run one after another: moto is one Python process (one GIL), so overlapping heavy calls
    // only slows each down. The first call to a service costs moto ~0.3–1.5 s of imports.
    const [accountId, { ordersRole, thumbsRole, deliveryRole }] = await Promise.all([
      sts.send(new GetCallerIdentityCommand({})).then((r) => required(r.Account, 'Account')),
      createRoles(iam),
      // The log group before CreateFlowLogs, else moto reports the delivery FAILED.
      logs.send(new CreateLogGroupCommand({ logGroupName })),
    ]);

    // Network: one VPC, two private subnets, three security groups.
    const vpc = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.0.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'orders' }] }],
      }),
    );
    const vpcId = required(vpc.Vpc?.VpcId, 'VpcId');
    const [sn1, sn2] = await Promise.all(
      [
        { cidr: '10.0.1.0/24', az: `${region}a` },
        { cidr: '10.0.2.0/24', az: `${region}b` },
      ].map(async ({ cidr, az }) => {
        const r = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az }));
        return required(r.Subnet?.SubnetId, 'SubnetId');
      }),
    );
    const [sgApp, sgRds, sgBastion] = await Promise.all(
      [
        ['orders-lambda', 'Lambda functions of the orders service'],
        ['orders-db', 'Orders PostgreSQL'],
        ['bastion', 'SSH bastion'],
      ].map(async ([name, desc]) => {
        const r = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: desc }));
        return required(r.GroupId, 'GroupId');
      }),
    );

    // ENIs. The shared ENI (sn1 + sgApp) is named after OrdersWorker although OrdersApi uses it too:
    // the name in the description is only a hint.
    const createEni = async (subnetId: string, groups: string[], ip: string, description: string) => {
      const r = await ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnetId,
          Groups: groups,
          PrivateIpAddress: ip,
          Description: description,
          // Ignored by moto (it answers "interface"); sent so the call is what Lambda's own would be.
          InterfaceType: 'lambda' as never,
        }),
      );
      return required(r.NetworkInterface?.NetworkInterfaceId, 'NetworkInterfaceId');
    };
    const lambdaDescription = (fn: string) => `AWS Lambda VPC ENI-${fn}-${randomUUID()}`;
    const sharedDesc = lambdaDescription(FN_WORKER);
    const apiDesc = lambdaDescription(FN_API);
    const [sharedEniId, apiEniId, rdsEniId, instance] = await Promise.all([
      createEni(sn1, [sgApp], '10.0.1.142', sharedDesc),
      createEni(sn2, [sgApp], '10.0.2.77', apiDesc),
      createEni(sn2, [sgRds], RDS_IP, 'RDSNetworkInterface'),
      ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: sn1,
          SecurityGroupIds: [sgBastion],
          PrivateIpAddress: BASTION_IP,
        }),
      ),
    ]);
    const inst = instance.Instances?.[0];
    const instanceId = required(inst?.InstanceId, 'InstanceId');
    const instanceEniId = required(inst?.NetworkInterfaces?.[0]?.NetworkInterfaceId, 'instance ENI');

    const lambdaEnis: MotoEni[] = [
      eni(sharedEniId, 'lambda', '10.0.1.142', sn1, [sgApp], sharedDesc, [FN_API, FN_WORKER]),
      eni(apiEniId, 'lambda', '10.0.2.77', sn2, [sgApp], apiDesc, [FN_API]),
    ];
    const rdsEni = eni(rdsEniId, 'rds', RDS_IP, sn2, [sgRds], 'RDSNetworkInterface', []);
    const instanceEni = eni(instanceEniId, 'instance', BASTION_IP, sn1, [sgBastion], 'Primary network interface', []);
    instanceEni.instanceId = instanceId;
    const allEnis = [...lambdaEnis, rdsEni, instanceEni];

    // Functions, then the flow log with one stream per ENI.
    const code = zipOneFile('app.py', 'def lambda_handler(event, context):\n    return {"ok": True}\n');
    const specs: Array<{ name: string; role: string; subnets: string[]; groups: string[] }> = [
      { name: FN_API, role: ordersRole, subnets: [sn1, sn2], groups: [sgApp] },
      { name: FN_WORKER, role: ordersRole, subnets: [sn1], groups: [sgApp] },
      { name: FN_THUMBS, role: thumbsRole, subnets: [], groups: [] },
    ];
    const functions = await Promise.all(
      specs.map(async (s): Promise<MotoFunction> => {
        const inVpc = s.subnets.length > 0;
        const r = await lambda.send(
          new CreateFunctionCommand({
            FunctionName: s.name,
            Runtime: 'python3.12',
            Handler: 'app.lambda_handler',
            Role: s.role,
            Code: { ZipFile: code },
            Timeout: 30,
            MemorySize: 512,
            ...(inVpc ? { VpcConfig: { SubnetIds: s.subnets, SecurityGroupIds: s.groups } } : {}),
          }),
        );
        return {
          name: s.name,
          arn: required(r.FunctionArn, 'FunctionArn'),
          roleArn: s.role,
          inVpc,
          subnetIds: s.subnets,
          securityGroupIds: s.groups,
          eniIds: lambdaEnis.filter((e) => e.functions.includes(s.name)).map((e) => e.id),
        };
      }),
    );

    const cloudWatch = options.s3?.cloudWatch ?? true;
    const fl = !cloudWatch
      ? undefined
      : await ec2.send(
          new CreateFlowLogsCommand({
            ResourceType: 'VPC',
            ResourceIds: [vpcId],
            TrafficType: 'ALL',
            LogDestinationType: 'cloud-watch-logs',
            LogGroupName: logGroupName,
            DeliverLogsPermissionArn: deliveryRole,
            LogFormat: logFormat,
            MaxAggregationInterval: FLOW_INTERVAL_S,
          }),
        );
    if (fl?.Unsuccessful?.length) throw new Error(`CreateFlowLogs failed: ${JSON.stringify(fl.Unsuccessful)}`);
    const s3FlowLogId = options.s3 ? await createS3FlowLog(ec2, s3, vpcId, options.s3.bucket, logFormat) : undefined;
    const flowLogId = fl ? required(fl.FlowLogIds?.[0], 'FlowLogId') : s3FlowLogId!;
    if (cloudWatch) {
      await Promise.all(allEnis.map((e) => logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName: e.logStream }))));
    }

    // Traffic and its records.
    const detectEnd = now;
    const detectStart = new Date(now.getTime() - DAY);
    const baselineStart = new Date(now.getTime() - days * DAY);
    const traffic = generateTraffic({
      rand,
      fromS: Math.ceil(baselineStart.getTime() / 1000 / FLOW_INTERVAL_S) * FLOW_INTERVAL_S,
      toS: Math.floor(now.getTime() / 1000 / FLOW_INTERVAL_S) * FLOW_INTERVAL_S,
      detectStartS: detectStart.getTime() / 1000,
      sharedEni: lambdaEnis[0],
      apiEni: lambdaEnis[1],
      rdsEni,
      instanceEni,
    });
    const ctx: RenderContext = { accountId, vpcId, region, fields: parseFormat(logFormat) };
    const byStream: Record<string, number> = {};
    let firstMs = Infinity;
    let lastMs = -Infinity;
    const s3Delivery =
      options.s3 && s3FlowLogId ? await deliverToS3(s3, options.s3, s3FlowLogId, traffic.records, allEnis, ctx) : undefined;
    await Promise.all(
      allEnis.map(async (e) => {
        const events = (traffic.records.get(e.id) ?? [])
          .sort((a, b) => a.start - b.start)
          .map((r) => ({ timestamp: r.start * 1000, message: renderRecord(r, e, ctx) }));
        byStream[e.logStream] = events.length;
        if (events.length) {
          firstMs = Math.min(firstMs, events[0].timestamp);
          lastMs = Math.max(lastMs, events[events.length - 1].timestamp);
        }
        // Sequential per stream: real PutLogEvents wants batches in order; moto rejects unsorted batches.
        if (!cloudWatch) return;
        for (const batch of logBatches(events)) {
          const r = await logs.send(new PutLogEventsCommand({ logGroupName, logStreamName: e.logStream, logEvents: batch }));
          if (r.rejectedLogEventsInfo) {
            throw new Error(`moto rejected flow records in ${e.logStream}: ${JSON.stringify(r.rejectedLogEventsInfo)}`);
          }
        }
      }),
    );

    // Metrics: hourly, complete hours only, a spike on the function that is not in a VPC.
    const metricsEnd = new Date(Math.floor(now.getTime() / HOUR) * HOUR);
    const metricsStart = new Date(Math.ceil(baselineStart.getTime() / HOUR) * HOUR);
    const spikeHours = [10, 9, 8].map((h) => new Date(metricsEnd.getTime() - h * HOUR));
    const datums = generateMetrics(rand, metricsStart, metricsEnd, spikeHours);
    for (const batch of chunks(datums, METRIC_BATCH)) {
      await cw.send(new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: batch }));
    }
    const total = Object.values(byStream).reduce((a, b) => a + b, 0);

    return {
      accountId,
      region,
      vpcId,
      subnetIds: [sn1, sn2],
      securityGroupIds: { app: sgApp, rds: sgRds, bastion: sgBastion },
      functions,
      enis: { lambda: lambdaEnis, rds: rdsEni, instance: instanceEni },
      flowLogId,
      ...(s3Delivery ? { s3: s3Delivery } : {}),
      logGroupName,
      logFormat,
      flowRecords: { total, byStream, firstMs, lastMs },
      metrics: {
        namespace: 'AWS/Lambda',
        metricNames: ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'],
        periodSeconds: 3600,
        start: metricsStart,
        end: metricsEnd,
        datapoints: datums.length,
      },
      now,
      window: { baselineStart, detectStart, detectEnd },
      expected: {
        newPeer: {
          function: FN_API,
          subject: `${BASTION_IP}:22/tcp`,
          eniId: apiEniId,
          attribution: 'exact',
          firstSeen: new Date(traffic.newPeerFirstS * 1000),
        },
        invocationSpike: { function: FN_THUMBS, subject: 'Invocations', hours: spikeHours },
        sharedEni: { eniId: sharedEniId, functions: [FN_API, FN_WORKER], descriptionNames: FN_WORKER },
      },
    };
  } finally {
    for (const c of [ec2, iam, lambda, logs, cw, sts, s3]) c.destroy();
  }
}

/** OrdersApi and OrdersWorker share a role; moto's CreateFunction needs the role to exist. */
async function createRoles(iam: IAMClient): Promise<{ ordersRole: string; thumbsRole: string; deliveryRole: string }> {
  const trust = (service: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
    });
  const [ordersRole, thumbsRole, deliveryRole] = await Promise.all(
    [
      ['orders-service-role', trust('lambda.amazonaws.com')],
      ['thumbnail-maker-role', trust('lambda.amazonaws.com')],
      ['flow-logs-delivery', trust('vpc-flow-logs.amazonaws.com')],
    ].map(async ([name, doc]) => {
      const r = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: doc }));
      return required(r.Role?.Arn, 'Role.Arn');
    }),
  );
  return { ordersRole, thumbsRole, deliveryRole };
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`moto returned no ${what}`);
  return value;
}

function eni(
  id: string,
  kind: MotoEni['kind'],
  privateIp: string,
  subnetId: string,
  securityGroupIds: string[],
  description: string,
  functions: string[],
): MotoEni {
  return { id, kind, privateIp, subnetId, securityGroupIds, description, functions, logStream: `${id}-all` };
}

// ---------------------------------------------------------------------------------------------
// Flow records

interface FlowRecord {
  start: number;
  end: number;
  status: 'OK' | 'NODATA';
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  protocol?: number;
  packets?: number;
  bytes?: number;
  action?: 'ACCEPT' | 'REJECT';
  tcpFlags?: number;
  direction?: 'ingress' | 'egress';
}

interface TrafficInput {
  rand: () => number;
  fromS: number;
  toS: number;
  detectStartS: number;
  sharedEni: MotoEni;
  apiEni: MotoEni;
  rdsEni: MotoEni;
  instanceEni: MotoEni;
}

/** Busier by day (UTC 08–20) than by night, like the invocations. */
function diurnal(tS: number): number {
  const hour = new Date(tS * 1000).getUTCHours();
  return hour >= 8 && hour < 20 ? 1 : 0.45;
}

/**
 * Conversations started by the functions (Lambda ENIs never accept inbound connections): each is an
 * egress record and its return record on the Lambda ENI, mirrored on the peer's ENI when the peer is
 * in the VPC. Intervals without traffic on an ENI get a NODATA record, as AWS writes them.
 */
function generateTraffic(input: TrafficInput): { records: Map<string, FlowRecord[]>; newPeerFirstS: number } {
  const { rand, sharedEni, apiEni, rdsEni, instanceEni } = input;
  const records = new Map<string, FlowRecord[]>();
  const push = (eniId: string, r: FlowRecord) => {
    let list = records.get(eniId);
    if (!list) records.set(eniId, (list = []));
    list.push(r);
  };
  const mirrorOf = new Map<string, MotoEni>([
    [RDS_IP, rdsEni],
    [BASTION_IP, instanceEni],
  ]);
  const converse = (from: MotoEni, peer: string, port: number, windowS: number, size: number): number => {
    const start = windowS + Math.floor(rand() * (FLOW_INTERVAL_S - 120));
    const end = start + 1 + Math.floor(rand() * 90);
    const eph = 32768 + Math.floor(rand() * (60999 - 32768));
    const outPackets = 3 + Math.floor(rand() * 20 * size);
    const inPackets = outPackets + Math.floor(rand() * 10 * size);
    const out = { packets: outPackets, bytes: outPackets * (60 + Math.floor(rand() * 140)) };
    const back = { packets: inPackets, bytes: inPackets * (200 + Math.floor(rand() * 1100)) };
    const base = { start, end, status: 'OK' as const, protocol: 6, action: 'ACCEPT' as const, tcpFlags: 19 };
    const egress: FlowRecord = { ...base, src: from.privateIp, dst: peer, srcPort: eph, dstPort: port, ...out };
    const ret: FlowRecord = { ...base, src: peer, dst: from.privateIp, srcPort: port, dstPort: eph, ...back };
    push(from.id, { ...egress, direction: 'egress' });
    push(from.id, { ...ret, direction: 'ingress' });
    const mirror = mirrorOf.get(peer);
    if (mirror) {
      push(mirror.id, { ...egress, direction: 'ingress' });
      push(mirror.id, { ...ret, direction: 'egress' });
    }
    return start;
  };

  // Six SSH sessions from OrdersApi's own ENI to the bastion, one every 40 minutes, 6 h into the detection window.
  const firstSsh = Math.ceil((input.detectStartS + 6 * 3600) / FLOW_INTERVAL_S) * FLOW_INTERVAL_S;
  const sshWindows = new Set(Array.from({ length: 6 }, (_, k) => firstSsh + k * 4 * FLOW_INTERVAL_S));

  const enisWithTraffic = [sharedEni, apiEni, rdsEni, instanceEni];
  let newPeerFirstS = Infinity;
  for (let w = input.fromS; w < input.toS; w += FLOW_INTERVAL_S) {
    const load = diurnal(w);
    if (rand() < 0.8 * load) converse(sharedEni, RDS_IP, 5432, w, 1);
    if (rand() < 0.5 * load) converse(sharedEni, DYNAMO_IP, 443, w, 2);
    if (rand() < 0.25 * load) converse(sharedEni, SQS_IP, 443, w, 1);
    if (rand() < 0.6 * load) converse(apiEni, RDS_IP, 5432, w, 1);
    if (rand() < 0.4 * load) converse(apiEni, DYNAMO_IP, 443, w, 2);
    if (sshWindows.has(w)) newPeerFirstS = Math.min(newPeerFirstS, converse(apiEni, BASTION_IP, 22, w, 3));
    for (const e of enisWithTraffic) {
      const list = records.get(e.id);
      const last = list?.[list.length - 1];
      if (!last || last.start < w) push(e.id, { start: w, end: w + FLOW_INTERVAL_S - 1, status: 'NODATA' });
    }
  }
  return { records, newPeerFirstS };
}

interface RenderContext {
  accountId: string;
  vpcId: string;
  region: string;
  fields: string[];
}

/** Field names of a LogFormat, in order: `${srcaddr} ${dstaddr}` → ['srcaddr', 'dstaddr']. */
export function parseFormat(logFormat: string): string[] {
  return [...logFormat.matchAll(/\$\{([a-z0-9-]+)\}/g)].map((m) => m[1]);
}

const V3 = new Set(['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr']);
const V4 = new Set(['region', 'az-id', 'sublocation-type', 'sublocation-id']);
const V5 = new Set(['pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path']);

/** The `version` field: 2 for the default format, else the highest version among the fields. */
function formatVersion(fields: string[]): number {
  let v = 2;
  for (const f of fields) v = Math.max(v, V5.has(f) ? 5 : V4.has(f) ? 4 : V3.has(f) ? 3 : 2);
  return v;
}

function renderRecord(r: FlowRecord, e: MotoEni, ctx: RenderContext): string {
  const nodata = r.status === 'NODATA';
  const version = formatVersion(ctx.fields);
  const value = (field: string): string | number | undefined => {
    switch (field) {
      case 'version':
        return version;
      case 'account-id':
        return ctx.accountId;
      case 'interface-id':
        return e.id;
      case 'start':
        return r.start;
      case 'end':
        return r.end;
      case 'log-status':
        return r.status;
      case 'vpc-id':
        return ctx.vpcId;
      case 'subnet-id':
        return e.subnetId;
      case 'instance-id':
        return e.instanceId;
      case 'region':
        return ctx.region;
      case 'type':
        return nodata ? undefined : 'IPv4';
    }
    if (nodata) return undefined;
    switch (field) {
      case 'srcaddr':
      case 'pkt-srcaddr':
        return r.src;
      case 'dstaddr':
      case 'pkt-dstaddr':
        return r.dst;
      case 'srcport':
        return r.srcPort;
      case 'dstport':
        return r.dstPort;
      case 'protocol':
        return r.protocol;
      case 'packets':
        return r.packets;
      case 'bytes':
        return r.bytes;
      case 'action':
        return r.action;
      case 'tcp-flags':
        return r.tcpFlags;
      case 'flow-direction':
        return r.direction;
      // 8: through the NAT gateway (the public peers); 1: within the VPC.
      case 'traffic-path':
        return r.direction === 'egress' ? (r.dst?.startsWith('10.') ? 1 : 8) : undefined;
      default:
        return undefined;
    }
  };
  return ctx.fields.map((f) => String(value(f) ?? '-')).join(' ');
}

/** PutLogEvents batches: ≤ 10,000 events, ≤ 1 MiB (message bytes + 26 each), ≤ 24 h from first to last. */
function logBatches<T extends { timestamp: number; message: string }>(events: T[]): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const ev of events) {
    const size = Buffer.byteLength(ev.message) + 26;
    if (batch.length && (batch.length >= LOG_BATCH_EVENTS || bytes + size > LOG_BATCH_BYTES || ev.timestamp - batch[0].timestamp >= DAY)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(ev);
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Flow logs delivered to S3

async function createS3FlowLog(ec2: EC2Client, s3: S3Client, vpcId: string, bucket: string, logFormat: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const r = await ec2.send(
    new CreateFlowLogsCommand({
      ResourceType: 'VPC',
      ResourceIds: [vpcId],
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: `arn:aws:s3:::${bucket}`,
      LogFormat: logFormat,
      MaxAggregationInterval: FLOW_INTERVAL_S,
    }),
  );
  if (r.Unsuccessful?.length) throw new Error(`CreateFlowLogs (s3) failed: ${JSON.stringify(r.Unsuccessful)}`);
  return required(r.FlowLogIds?.[0], 'FlowLogId');
}

const NUMERIC_FIELDS = new Set([
  'version',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'tcp-flags',
  'traffic-path',
]);

/**
 * The records as AWS delivers them to S3: a record is in the object of the delivery interval after its aggregation
 * interval ends, objects keyed `[prefix/]AWSLogs/[aws-account-id=]ACCOUNT/[aws-service=]vpcflowlogs/[aws-region=]REGION/
 * [year=]YYYY/[month=]MM/[day=]DD/[[hour=]HH/]ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz`.
 */
async function deliverToS3(
  s3: S3Client,
  o: MotoS3DeliveryOptions,
  flowLogId: string,
  records: Map<string, FlowRecord[]>,
  enis: MotoEni[],
  ctx: RenderContext,
): Promise<MotoS3Delivery> {
  const hive = !!o.hiveCompatiblePartitions;
  const parquet = o.fileFormat === 'parquet';
  const part = (name: string, value: string) => (hive ? `${name}=${value}` : value);
  const byObject = new Map<number, string[]>();
  let total = 0;
  for (const e of enis) {
    for (const r of records.get(e.id) ?? []) {
      const at = (Math.floor(r.end / FLOW_INTERVAL_S) + 1) * FLOW_INTERVAL_S;
      let lines = byObject.get(at);
      if (!lines) byObject.set(at, (lines = []));
      lines.push(renderRecord(r, e, ctx));
      total++;
    }
  }
  const prefix = o.prefix ? `${o.prefix.replace(/\/+$/, '')}/` : '';
  const keys: string[] = [];
  const bodies: Uint8Array[] = [];
  for (const at of [...byObject.keys()].sort((a, b) => a - b)) {
    const d = new Date(at * 1000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const [yyyy, mm, dd, hh, mi] = [
      String(d.getUTCFullYear()),
      p2(d.getUTCMonth() + 1),
      p2(d.getUTCDate()),
      p2(d.getUTCHours()),
      p2(d.getUTCMinutes()),
    ];
    const dir =
      `${prefix}AWSLogs/${part('aws-account-id', ctx.accountId)}/${part('aws-service', 'vpcflowlogs')}/${part('aws-region', ctx.region)}/` +
      `${part('year', yyyy)}/${part('month', mm)}/${part('day', dd)}/${o.perHourPartition ? `${part('hour', hh)}/` : ''}`;
    const hash = (at % 0xffffffff).toString(16).padStart(8, '0');
    const name = `${ctx.accountId}_vpcflowlogs_${ctx.region}_${flowLogId}_${yyyy}${mm}${dd}T${hh}${mi}Z_${hash}.${parquet ? 'parquet' : 'log.gz'}`;
    const lines = byObject.get(at)!;
    let body: Uint8Array;
    if (parquet) {
      if (!o.writeParquet) throw new Error('fileFormat parquet needs writeParquet');
      const rows = lines.map((l) => l.split(' '));
      body = await o.writeParquet(
        ctx.fields.map((f, i) => ({
          name: f.replace(/-/g, '_'),
          values: rows.map((r) => (r[i] === '-' ? null : NUMERIC_FIELDS.has(f) ? Number(r[i]) : r[i])),
        })),
      );
    } else {
      body = gzipSync(`${ctx.fields.join(' ')}\n${lines.join('\n')}\n`);
    }
    keys.push(`${dir}${name}`);
    bodies.push(body);
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < keys.length; i = next++) {
        await s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: keys[i], Body: bodies[i] }));
      }
    }),
  );
  return {
    bucket: o.bucket,
    flowLogId,
    destination: `arn:aws:s3:::${o.bucket}${o.prefix ? `/${o.prefix.replace(/\/+$/, '')}` : ''}`,
    destinationOptions: {
      fileFormat: parquet ? 'parquet' : 'plain-text',
      hiveCompatiblePartitions: hive,
      perHourPartition: !!o.perHourPartition,
    },
    keys,
    bytes: bodies.reduce((a, b) => a + b.length, 0),
    records: total,
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Hourly AWS/Lambda datapoints, as Lambda publishes them: nothing for an hour without invocations. */
function generateMetrics(rand: () => number, start: Date, end: Date, spikeHours: Date[]): MetricDatum[] {
  const spikes = new Set(spikeHours.map((d) => d.getTime()));
  const profiles = [
    { name: FN_API, rate: 60, durationMs: 120 },
    { name: FN_WORKER, rate: 20, durationMs: 900 },
    { name: FN_THUMBS, rate: 30, durationMs: 2_400 },
  ];
  const datums: MetricDatum[] = [];
  for (let t = start.getTime(); t < end.getTime(); t += HOUR) {
    const load = diurnal(t / 1000);
    for (const p of profiles) {
      const spike = p.name === FN_THUMBS && spikes.has(t) ? 8 : 1;
      const invocations = poissonSample(p.rate * load * spike, rand);
      if (invocations === 0) continue;
      const errors = Math.min(invocations, poissonSample(invocations * 0.005, rand));
      const dims = [{ Name: 'FunctionName', Value: p.name }];
      const timestamp = new Date(t);
      const mean = p.durationMs * (0.8 + 0.4 * rand());
      datums.push(
        { MetricName: 'Invocations', Dimensions: dims, Timestamp: timestamp, Value: invocations, Unit: 'Count' },
        { MetricName: 'Errors', Dimensions: dims, Timestamp: timestamp, Value: errors, Unit: 'Count' },
        { MetricName: 'Throttles', Dimensions: dims, Timestamp: timestamp, Value: 0, Unit: 'Count' },
        {
          MetricName: 'Duration',
          Dimensions: dims,
          Timestamp: timestamp,
          StatisticValues: {
            SampleCount: invocations,
            Sum: Math.round(mean * invocations),
            Minimum: Math.round(mean * 0.3),
            Maximum: Math.round(mean * 2.5),
          },
          Unit: 'Milliseconds',
        },
        {
          MetricName: 'ConcurrentExecutions',
          Dimensions: dims,
          Timestamp: timestamp,
          Value: Math.max(1, Math.ceil((invocations * mean) / HOUR) + Math.floor(rand() * 2)),
          Unit: 'Count',
        },
      );
    }
  }
  return datums;
}

// ---------------------------------------------------------------------------------------------
// A deployment package: a zip with one stored (uncompressed) file, built by hand.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function zipOneFile(name: string, content: string): Uint8Array {
  const fileName = Buffer.from(name, 'utf8');
  const data = Buffer.from(content, 'utf8');
  const crc = crc32(data);
  const dosTime = 0; // 00:00:00
  const dosDate = ((2024 - 1980) << 9) | (1 << 5) | 1; // 2024-01-01

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0, 6); // flags
  local.writeUInt16LE(0, 8); // stored
  local.writeUInt16LE(dosTime, 10);
  local.writeUInt16LE(dosDate, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  local.writeUInt16LE(0, 28);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(0x0314, 4); // made by: unix, 2.0
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(dosTime, 12);
  central.writeUInt16LE(dosDate, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt16LE(0, 30); // extra
  central.writeUInt16LE(0, 32); // comment
  central.writeUInt16LE(0, 34); // disk
  central.writeUInt16LE(0, 36); // internal attrs
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file, rw-r--r--
  central.writeUInt32LE(0, 42); // offset of the local header

  const centralOffset = local.length + fileName.length + data.length;
  const centralSize = central.length + fileName.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  end.writeUInt16LE(0, 20);

  return new Uint8Array(Buffer.concat([local, fileName, data, central, fileName, end]));
}
