// The generator's vocabulary: options, the recorded time span, the cast a profile describes and the account built from it.

export type ProfileName = 'demo' | 'mixed' | 'scale' | 'hostile' | 'traps';
export type FlowFormatName = 'v2' | 'v5' | 'custom';

export interface GenOptions {
  out: string;
  profile: ProfileName;
  functions: number;
  days: number;
  seed: number;
  format: FlowFormatName;
  /** Flow-log MaxAggregationInterval in seconds. */
  interval: 60 | 600;
  /** When set, Lambda-ENI flow records per ENI-hour on average (conversations scaled, diurnal shape kept). */
  recordsPerEniHour?: number;
  /** Security groups the VPC functions draw from (mixed/scale); fewer groups, fewer distinct Lambda ENIs. */
  securityGroups?: number;
  gzip: boolean;
  labels: string;
  /** "Now" of the recording, epoch seconds. */
  now: number;
  /** Write the other side of each conversation on peer ENIs in the VPC (RDS, cache, NAT, ...), as a VPC-wide flow log does. */
  peerSide: boolean;
  /** CloudTrail calls per function-API-day are multiplied by this (scale keeps CloudTrail small). */
  trailDensity: number;
}

/** All times in epoch seconds; hours are indexed from `start`. */
export interface Span {
  start: number;
  detectStart: number;
  end: number;
  hours: number;
  /** Index of the first hour of the detection window. */
  detectHour: number;
}

export type SubnetPurpose = 'lambda' | 'data' | 'endpoint' | 'public';

export interface Subnet {
  id: string;
  az: string;
  azId: string;
  /** Network address as an unsigned 32-bit integer. */
  network: number;
  prefix: number;
  purpose: SubnetPurpose;
  used: Set<number>;
}

export interface SecurityGroup {
  id: string;
  name: string;
}

export interface Role {
  name: string;
  arn: string;
  /** The role's unique id (AROA...), the first half of every session's principalId. */
  roleId: string;
}

export type EniType = 'lambda' | 'interface' | 'vpc_endpoint' | 'nat_gateway';

export interface Eni {
  /** Position in Account.enis, used to index per-ENI scratch arrays in hot loops. */
  index: number;
  id: string;
  type: EniType;
  ip: string;
  subnet: Subnet;
  groups: SecurityGroup[];
  description: string;
  mac: string;
  requesterId?: string;
  requesterManaged: boolean;
  instanceId?: string;
  instanceOwnerId?: string;
  attachmentId: string;
  deviceIndex: number;
  attachTime: number;
  publicIp?: string;
  /** Lambda ENIs: every function whose VpcConfig has this subnet and exactly this set of groups. */
  functions: FunctionSpec[];
  /** Epoch seconds from which the ENI carries traffic (a replacement ENI); unset: the whole span. */
  activeFrom?: number;
  /** Epoch seconds at which traffic moved off the ENI (it was replaced); unset: the whole span. */
  activeUntil?: number;
  /** When Lambda deleted the ENI: it is gone from DescribeNetworkInterfaces, remembered only by CloudTrail. */
  deletedAt?: number;
}

export type PeerKind = 'postgres' | 'mysql' | 'redis' | 'vpce' | 'alb' | 'ec2' | 'saas' | 'internet' | 's3' | 'dynamodb';

export interface PeerEndpoint {
  ip: string;
  /** Set when the endpoint is an ENI of this VPC (and so has its own flow records). */
  eni?: Eni;
}

export interface Peer {
  key: string;
  kind: PeerKind;
  port: number;
  endpoints: PeerEndpoint[];
  /**
   * How a caller picks an endpoint: the one in its own AZ (interface endpoints), any of them (DNS rotation), the only
   * one, or a fresh address inside `prefixes` each time (an AWS service whose DNS hands out addresses from whole prefixes).
   */
  pick: 'az' | 'rotate' | 'single' | 'fresh';
  viaNat: boolean;
  /** An AWS service's name in ip-ranges and in the v5 pkt-*-aws-service fields (S3, DYNAMODB). */
  service?: string;
  /** CIDRs that `fresh` draws from. */
  prefixes?: string[];
}

export interface WeeklySchedule {
  /** 0 = Sunday, as Date#getUTCDay. */
  weekday: number;
  hour: number;
  conversations: number;
}

export interface Conversation {
  peer: Peer;
  /** Expected connections per invocation (before any --records-per-eni-hour scaling). */
  perInvocation: number;
  weekly?: WeeklySchedule;
}

export interface ApiUse {
  source: string;
  name: string;
  /** Expected calls per day at the function's typical rate. */
  perDay: number;
}

export interface FunctionSpec {
  index: number;
  name: string;
  arn: string;
  runtime: string;
  handler: string;
  memory: number;
  timeout: number;
  role: Role;
  vpc?: { subnets: Subnet[]; groups: SecurityGroup[] };
  enis: Eni[];
  peakPerHour: number;
  /** Relative growth of the invocation rate from the first to the last hour (0.3 = +30%). */
  growth: number;
  /** Shift of the diurnal peak, hours. */
  phaseHours: number;
  errorRate: number;
  durationMs: number;
  apis: ApiUse[];
  conversations: Conversation[];
  /** Environment encrypted with a customer key: the Lambda service decrypts it under awslambda_ sessions. */
  kmsEnv: boolean;
  tags: Record<string, string>;
  /** The function's Description (empty unless a profile sets one). */
  description?: string;
  codeSize: number;
  codeSha256: string;
  revisionId: string;
  lastModified: number;
  /** Stable public address of the function's non-VPC egress, per container generation. */
  publicIps: string[];
  /** Invoked once a day at this UTC hour and never otherwise (a scheduled job). */
  dailyHour?: number;
  /** Traffic prefers its other ENIs until `at` (epoch seconds), when its AZ fails and everything moves to `to`. */
  failover?: { to: Eni; at: number; share: number };
}

export interface Account {
  accountId: string;
  region: string;
  vpcId: string;
  cidr: string;
  subnets: Subnet[];
  groups: SecurityGroup[];
  roles: Role[];
  functions: FunctionSpec[];
  enis: Eni[];
  peers: Map<string, Peer>;
  nat: Eni;
  ec2: Eni;
  vpceId: string;
  flowLogId: string;
  flowLogCreated: number;
  kmsKeyArn: string;
  /** A second flow log on one subnet, in a v5 format with the pkt-*-aws-service fields. */
  subnetFlowLog?: { id: string; subnet: Subnet; created: number };
}

/** A function as a profile describes it, before ids and addresses exist. */
export interface CastFunction {
  name: string;
  runtime: string;
  memory: number;
  role: string;
  vpc?: { subnets: number[]; groups: string[] };
  peakPerHour: number;
  growth?: number;
  phaseHours?: number;
  errorRate?: number;
  durationMs: number;
  apis: ApiUse[];
  talks: CastTalk[];
  kmsEnv?: boolean;
  team?: string;
  /** Invoked once a day at this UTC hour and never otherwise. */
  dailyHour?: number;
}

export interface CastTalk {
  /** Peer key: pg, mysql, redis, vpce, alb, ec2, saas:<name>, or the key of one of the cast's AWS services. */
  peer: string;
  perInvocation: number;
  /** A weekly job: this many connections once a week, at 02:00 on the detection day's weekday. */
  weekly?: number;
}

export interface CastSaas {
  key: string;
  addresses: number;
}

/** An AWS service reached over its public addresses (through a NAT gateway or a gateway endpoint). */
export interface CastAwsService {
  key: string;
  kind: PeerKind;
  /** The service's name in ip-ranges.json. */
  service: string;
  port: number;
  prefixes: string[];
  viaNat: boolean;
}

export interface BenignNote {
  function: string;
  note: string;
}

export interface Cast {
  region: string;
  lambdaSubnets: number;
  /** /24 keeps addresses readable in the demo; /20 leaves room for hundreds of ENIs. */
  lambdaPrefix: 24 | 20;
  functions: CastFunction[];
  saas: CastSaas[];
  awsServices?: CastAwsService[];
  stack: string;
}
