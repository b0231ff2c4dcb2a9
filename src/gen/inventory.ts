// The account's inventory as the SDK v3 returns it: ListFunctions, ListTags, DescribeNetworkInterfaces and DescribeFlowLogs responses.
import { logFormatString, SERVICE_FIELDS } from './flowformat';
import type { Account, Eni, FlowFormatName, FunctionSpec } from './model';
import type { Rng } from './random';
import { iso, lambdaTimestamp } from './time';

function privateDns(region: string, ip: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

function publicDns(region: string, ip: string): string {
  const host = `ec2-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

export function functionConfiguration(account: Account, fn: FunctionSpec): Record<string, unknown> {
  const conf: Record<string, unknown> = {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Role: fn.role.arn,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description ?? '',
    Timeout: fn.timeout,
    MemorySize: fn.memory,
    LastModified: lambdaTimestamp(fn.lastModified),
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
  };
  if (fn.vpc) {
    conf.VpcConfig = {
      SubnetIds: fn.vpc.subnets.map((s) => s.id),
      SecurityGroupIds: fn.vpc.groups.map((g) => g.id),
      VpcId: account.vpcId,
      Ipv6AllowedForDualStack: false,
    };
  }
  conf.Environment = { Variables: { LOG_LEVEL: 'info', STAGE: 'prod' } };
  if (fn.kmsEnv) conf.KMSKeyArn = account.kmsKeyArn;
  Object.assign(conf, {
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: fn.revisionId,
    PackageType: 'Zip',
    Architectures: [fn.index % 3 === 2 ? 'arm64' : 'x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn.name}` },
  });
  return conf;
}

export function listFunctions(account: Account): Record<string, unknown> {
  return { Functions: account.functions.map((fn) => functionConfiguration(account, fn)) };
}

export function listTags(account: Account): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const fn of account.functions) out[fn.arn] = fn.tags;
  return out;
}

function networkInterface(account: Account, eni: Eni): Record<string, unknown> {
  const attachment: Record<string, unknown> = {
    AttachmentId: eni.attachmentId,
    DeviceIndex: eni.deviceIndex,
  };
  if (eni.instanceId) attachment.InstanceId = eni.instanceId;
  if (eni.instanceOwnerId) attachment.InstanceOwnerId = eni.instanceOwnerId;
  Object.assign(attachment, { Status: 'attached', DeleteOnTermination: eni.deviceIndex === 0, AttachTime: iso(eni.attachTime) });
  const out: Record<string, unknown> = { Attachment: attachment };
  // The NAT gateway's Elastic IP: the address the internet (and CloudTrail, for calls through it) sees.
  const association = eni.publicIp
    ? { IpOwnerId: account.accountId, PublicDnsName: publicDns(account.region, eni.publicIp), PublicIp: eni.publicIp }
    : undefined;
  if (association) out.Association = association;
  const dns = privateDns(account.region, eni.ip);
  const ip: Record<string, unknown> = { Primary: true, PrivateDnsName: dns, PrivateIpAddress: eni.ip };
  if (association) ip.Association = association;
  Object.assign(out, {
    AvailabilityZone: eni.subnet.az,
    Description: eni.description,
    Groups: eni.groups.map((g) => ({ GroupId: g.id, GroupName: g.name })),
    InterfaceType: eni.type,
    Ipv6Addresses: [],
    MacAddress: eni.mac,
    NetworkInterfaceId: eni.id,
    OwnerId: account.accountId,
    PrivateDnsName: dns,
    PrivateIpAddress: eni.ip,
    PrivateIpAddresses: [ip],
    RequesterManaged: eni.requesterManaged,
    SourceDestCheck: eni.type !== 'nat_gateway',
    Status: 'in-use',
    SubnetId: eni.subnet.id,
    TagSet: [],
    VpcId: account.vpcId,
  });
  if (eni.requesterId) out.RequesterId = eni.requesterId;
  return out;
}

/** DescribeNetworkInterfaces lists ENIs in no particular order; neither do we. */
export function describeNetworkInterfaces(account: Account, rng: Rng): Record<string, unknown> {
  // A deleted ENI is gone from EC2's answer; only CloudTrail remembers it.
  const enis = account.enis.filter((e) => e.deletedAt === undefined);
  rng.shuffle(enis);
  return { NetworkInterfaces: enis.map((e) => networkInterface(account, e)) };
}

export function describeFlowLogs(account: Account, format: FlowFormatName, interval: number): Record<string, unknown> {
  const sub = account.subnetFlowLog;
  const subnetLog = sub
    ? [
        {
          CreationTime: iso(sub.created),
          DeliverLogsPermissionArn: `arn:aws:iam::${account.accountId}:role/flow-logs-delivery`,
          DeliverLogsStatus: 'SUCCESS',
          FlowLogId: sub.id,
          FlowLogStatus: 'ACTIVE',
          LogGroupName: '/vpc/flow-logs/indexer-subnet',
          ResourceId: sub.subnet.id,
          TrafficType: 'ALL',
          LogDestinationType: 'cloud-watch-logs',
          LogFormat: logFormatString(SERVICE_FIELDS),
          Tags: [],
          MaxAggregationInterval: interval,
        },
      ]
    : [];
  return {
    FlowLogs: [
      {
        CreationTime: iso(account.flowLogCreated),
        DeliverLogsPermissionArn: `arn:aws:iam::${account.accountId}:role/flow-logs-delivery`,
        DeliverLogsStatus: 'SUCCESS',
        FlowLogId: account.flowLogId,
        FlowLogStatus: 'ACTIVE',
        LogGroupName: '/vpc/flow-logs/prod',
        ResourceId: account.vpcId,
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
        LogFormat: logFormatString(format),
        Tags: [],
        MaxAggregationInterval: interval,
      },
      ...subnetLog,
    ],
  };
}
