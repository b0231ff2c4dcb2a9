// Random casts for the mixed and scale profiles: functions with random names, a mix of VPC and non-VPC, shared roles, shared ENIs and the usual benign traps.
import type { ApiUse, BenignNote, Cast, CastFunction, CastTalk } from './model';
import type { Rng } from './random';

const AREAS = [
  'orders',
  'billing',
  'inventory',
  'ingest',
  'notify',
  'mailer',
  'session',
  'search',
  'refunds',
  'export',
  'ledger',
  'pricing',
  'profile',
  'reports',
  'catalog',
  'gateway',
  'auth',
  'audit',
  'media',
  'shipping',
  'cart',
  'quotes',
  'events',
  'sync',
  'backup',
  'fraud',
  'loyalty',
  'tax',
];
const KINDS = ['api', 'worker', 'fn', 'prod', 'job', 'handler', 'consumer'];
const RUNTIMES = ['nodejs20.x', 'nodejs20.x', 'nodejs22.x', 'python3.12', 'python3.12', 'python3.13', 'java21'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

/** Management events a function's code makes routinely (data events such as GetObject never reach LookupEvents). */
export const ROUTINE_APIS: readonly (readonly [string, string])[] = [
  ['secretsmanager.amazonaws.com', 'GetSecretValue'],
  ['ssm.amazonaws.com', 'GetParameter'],
  ['ssm.amazonaws.com', 'GetParametersByPath'],
  ['dynamodb.amazonaws.com', 'DescribeTable'],
  ['kms.amazonaws.com', 'GenerateDataKey'],
  ['s3.amazonaws.com', 'GetBucketLocation'],
  ['sns.amazonaws.com', 'ListTopics'],
  ['sqs.amazonaws.com', 'GetQueueUrl'],
];

export interface RandomCast {
  cast: Cast;
  benign: BenignNote[];
}

export function randomCast(rng: Rng, count: number, scale: boolean, days: number, securityGroups?: number): RandomCast {
  const region = scale ? 'us-east-1' : rng.pick(REGIONS);
  const lambdaSubnets = scale ? 3 : 2;
  const vpcShare = 0.55;
  const roleCount = Math.max(2, Math.ceil(count / 3));
  const roleNames = Array.from({ length: roleCount }, (_, i) => `svc-role-${i}`);
  const functions: CastFunction[] = [];
  const vpcCount = Math.max(1, Math.round(count * vpcShare));
  const groupCount = securityGroups ?? Math.max(1, Math.ceil(vpcCount / 2.5));
  const groupNames = Array.from({ length: groupCount }, (_, i) => `lambda-sg-${i}`);
  const peerKeys = ['pg', 'mysql', 'redis', 'alb', 'saas:partner-a', 'saas:partner-b'];

  for (let i = 0; i < count; i++) {
    const name = `${rng.pick(AREAS)}-${rng.pick(KINDS)}-${i}`;
    const runtime = rng.pick(RUNTIMES);
    const inVpc = i < 2 ? i === 0 : rng.chance(vpcShare);
    const apis: ApiUse[] = rng.sample(ROUTINE_APIS, rng.int(1, 3)).map(([source, api]) => ({ source, name: api, perDay: rng.range(3, 8) }));
    const fn: CastFunction = {
      name,
      runtime,
      memory: rng.pick([128, 256, 512, 1024, 2048]),
      role: rng.pick(roleNames),
      peakPerHour: Math.min(3000, Math.max(2, Math.round(Math.exp(Math.log(60) + 1.1 * rng.normal())))),
      phaseHours: rng.int(-3, 3),
      errorRate: rng.range(0.001, 0.01),
      durationMs: Math.round(rng.range(40, 900)),
      apis,
      talks: [],
      kmsEnv: rng.chance(0.35),
      team: rng.pick(['payments', 'platform', 'growth', 'data']),
    };
    if (inVpc) {
      const subnets = rng.chance(0.6) ? rng.sample([0, 1, 2].slice(0, lambdaSubnets), 2).sort() : [rng.int(0, lambdaSubnets - 1)];
      const groups = rng.chance(0.15) && groupNames.length > 1 ? rng.sample(groupNames, 2) : [rng.pick(groupNames)];
      fn.vpc = { subnets, groups };
      // Warm containers reuse connections: a few to a few dozen new ones per peak hour, whatever the invocation rate.
      const perInvocation = () => rng.range(2, 15) / fn.peakPerHour;
      const talks: CastTalk[] = [{ peer: 'vpce', perInvocation: perInvocation() }];
      for (const peer of rng.sample(peerKeys, rng.int(1, 2))) talks.push({ peer, perInvocation: perInvocation() });
      fn.talks = talks;
    }
    functions.push(fn);
  }

  // Make sure the traps exist whatever the draw: one shared role, one shared ENI.
  const [first, second] = functions;
  if (first && second) second.role = first.role;
  const vpcFns = functions.filter((f) => f.vpc);
  const benign: BenignNote[] = [];
  if (first && second)
    benign.push({ function: second.name, note: `shares its execution role with ${first.name}: one's calls are not the other's` });
  const plainVpc = vpcFns.filter((f) => f !== first);
  const sharer = plainVpc[0];
  if (first?.vpc && sharer?.vpc) {
    sharer.vpc = { subnets: [...first.vpc.subnets], groups: [...first.vpc.groups] };
    benign.push({ function: sharer.name, note: `shares its Hyperplane ENIs with ${first.name}: a peer of one is not new for the other` });
  }
  // A weekly job is only a trap when the baseline holds at least one earlier run.
  const weekly = days >= 9 ? plainVpc[1] : undefined;
  if (weekly) {
    weekly.talks.push({ peer: 'ec2', perInvocation: 0, weekly: 2 });
    benign.push({ function: weekly.name, note: 'weekly 02:00 job reaching the ops host on port 22, seen in the baseline' });
  }
  const grower = functions[functions.length - 1];
  if (grower && grower !== first && grower !== second) {
    grower.growth = 0.3;
    benign.push({ function: grower.name, note: 'invocations grow 30% over the window' });
  }
  const saasUser = plainVpc[2];
  if (saasUser && !saasUser.talks.some((t) => t.peer.startsWith('saas:')))
    saasUser.talks.push({ peer: 'saas:partner-a', perInvocation: 20 / saasUser.peakPerHour });
  if (saasUser) benign.push({ function: saasUser.name, note: 'partner SaaS API rotates over 4 addresses, all seen in the baseline' });
  if (functions.some((f) => f.kmsEnv))
    benign.push({ function: '*', note: 'kms Decrypt under awslambda_ sessions is the Lambda service, not function code' });

  return {
    cast: {
      region,
      lambdaSubnets,
      lambdaPrefix: scale ? 20 : 24,
      stack: 'orders-prod',
      saas: [
        { key: 'partner-a', addresses: 4 },
        { key: 'partner-b', addresses: 4 },
      ],
      functions,
    },
    benign,
  };
}
