// The demo account's cast: the seven functions of the published demo scenario, with their roles, subnets, security groups and peers.
import type { BenignNote, Cast } from './model';
import type { Rng } from './random';
import { WEEKDAYS } from './time';

/** Connection rates are well below one per invocation: warm containers reuse their connections. */
export function demoCast(rng: Rng, days: number): Cast {
  // SAM-style role names end in a random suffix.
  const role = (name: string) => `${name}-role-${rng.hex(8)}`;
  return {
    region: 'us-east-1',
    lambdaSubnets: 2,
    lambdaPrefix: 24,
    stack: 'orders-prod',
    saas: [{ key: 'payments', addresses: 4 }],
    functions: [
      {
        name: 'RDSQueryLogger',
        runtime: 'python3.12',
        memory: 1024,
        role: role('RDSQueryLogger'),
        team: 'data',
        vpc: { subnets: [0, 1], groups: ['rds-query-logger'] },
        peakPerHour: 75,
        durationMs: 180,
        apis: [{ source: 'secretsmanager.amazonaws.com', name: 'GetSecretValue', perDay: 6 }],
        talks: [
          { peer: 'pg', perInvocation: 0.25 },
          { peer: 'vpce', perInvocation: 0.15 },
        ],
      },
      {
        name: 'ThumbnailMaker',
        runtime: 'nodejs20.x',
        memory: 256,
        role: role('ThumbnailMaker'),
        team: 'media',
        vpc: { subnets: [0, 1], groups: ['media-processing'] },
        peakPerHour: 55,
        durationMs: 210,
        apis: [{ source: 'ssm.amazonaws.com', name: 'GetParameter', perDay: 6 }],
        talks: [
          { peer: 'redis', perInvocation: 0.45 },
          { peer: 'vpce', perInvocation: 0.08 },
        ],
      },
      {
        name: 'ImageResizer',
        runtime: 'nodejs20.x',
        memory: 256,
        role: role('ImageResizer'),
        team: 'media',
        vpc: { subnets: [0, 1], groups: ['media-processing'] },
        peakPerHour: 40,
        durationMs: 230,
        apis: [{ source: 'ssm.amazonaws.com', name: 'GetParameter', perDay: 6 }],
        talks: [
          { peer: 'alb', perInvocation: 0.35 },
          { peer: 'vpce', perInvocation: 0.08 },
        ],
      },
      {
        name: 'NightlyReport',
        runtime: 'python3.12',
        memory: 512,
        role: role('NightlyReport'),
        team: 'finance',
        vpc: { subnets: [0], groups: ['reporting'] },
        peakPerHour: 4,
        durationMs: 2400,
        apis: [{ source: 's3.amazonaws.com', name: 'GetBucketLocation', perDay: 6 }],
        // A weekly job is only a trap when the baseline holds at least one earlier run.
        talks:
          days >= 9
            ? [
                { peer: 'pg', perInvocation: 1 },
                { peer: 'alb', perInvocation: 0, weekly: 2 },
              ]
            : [{ peer: 'pg', perInvocation: 1 }],
      },
      {
        name: 'PaymentsWebhook',
        runtime: 'nodejs20.x',
        memory: 512,
        role: role('PaymentsWebhook'),
        team: 'payments',
        vpc: { subnets: [0, 1], groups: ['payments-webhook'] },
        peakPerHour: 110,
        growth: 0.3,
        durationMs: 260,
        kmsEnv: true,
        apis: [{ source: 'secretsmanager.amazonaws.com', name: 'GetSecretValue', perDay: 6 }],
        talks: [
          { peer: 'vpce', perInvocation: 0.15 },
          { peer: 'saas:payments', perInvocation: 0.15 },
        ],
      },
      {
        name: 'OrderApi',
        runtime: 'nodejs20.x',
        memory: 1024,
        role: 'orders-role',
        team: 'orders',
        peakPerHour: 200,
        durationMs: 250,
        kmsEnv: true,
        apis: [
          { source: 'secretsmanager.amazonaws.com', name: 'GetSecretValue', perDay: 6 },
          { source: 'ssm.amazonaws.com', name: 'GetParameter', perDay: 6 },
        ],
        talks: [],
      },
      {
        name: 'OrderWorker',
        runtime: 'nodejs20.x',
        memory: 512,
        role: 'orders-role',
        team: 'orders',
        peakPerHour: 65,
        durationMs: 250,
        kmsEnv: true,
        apis: [{ source: 'dynamodb.amazonaws.com', name: 'DescribeTable', perDay: 6 }],
        talks: [],
      },
    ],
  };
}

export function demoBenign(detectWeekday: number, weeklyInBaseline: number): BenignNote[] {
  const times = weeklyInBaseline === 1 ? 'once' : weeklyInBaseline === 2 ? 'twice' : `${weeklyInBaseline} times`;
  const weekly: BenignNote[] =
    weeklyInBaseline > 0
      ? [
          {
            function: 'NightlyReport',
            note: `weekly ${WEEKDAYS[detectWeekday]} 02:00 call to the internal ALB, seen ${times} in the baseline`,
          },
        ]
      : [];
  return [
    ...weekly,
    { function: 'PaymentsWebhook', note: 'invocations grow 30% over the window; SaaS API rotates over 4 addresses' },
    { function: 'OrderWorker', note: "shares its execution role with OrderApi: OrderApi's new calls are not OrderWorker's" },
    { function: '*', note: 'kms Decrypt under awslambda_ sessions is the Lambda service, not function code' },
    { function: 'ThumbnailMaker', note: "shares its Hyperplane ENIs with ImageResizer: ImageResizer's ALB peer is not a new peer" },
  ];
}
