// The demo account's IAM roles and security groups, as `record` writes them: policies that grant more than the functions use, egress wider than their peers need.
import type { Account, FunctionSpec } from './model';

type Statement = Record<string, unknown>;
const doc = (...Statement: Statement[]) => ({ Version: '2012-10-17', Statement });
/** IAM returns documents URL-encoded; the recording keeps them as IAM returned them. */
const encoded = (d: unknown) => encodeURIComponent(JSON.stringify(d));

/** A fixed time for every IAM date: roles and policies were made before any window the demo has. */
const CREATED = '2026-01-15T09:00:00Z';

/** AWS's own managed policies, as they read today (their default versions). */
const AWS_MANAGED = {
  basic: {
    name: 'AWSLambdaBasicExecutionRole',
    arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    version: 'v1',
    document: doc({ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }),
  },
  vpc: {
    name: 'AWSLambdaVPCAccessExecutionRole',
    arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    version: 'v3',
    document: doc({
      Sid: 'AWSLambdaVPCAccessExecutionPermissions',
      Effect: 'Allow',
      Action: [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: '*',
    }),
  },
} as const;

interface DemoRolePolicies {
  inline: Array<{ name: string; document: unknown }>;
  /** Customer managed policies of the account. */
  managed: Array<{ name: string; versions: Array<{ id: string; document: unknown }>; defaultVersion: string }>;
  aws: Array<keyof typeof AWS_MANAGED>;
}

/**
 * What each demo role grants, by the cast's function that names it: each grants what its functions use and more
 * (a wildcard, a NotAction, a whole service, a condition, a Deny), as hand-written roles do.
 */
function demoRolePolicies(fn: FunctionSpec, account: Account): DemoRolePolicies {
  const a = account.accountId;
  const r = account.region;
  switch (fn.name) {
    case 'RDSQueryLogger':
      return {
        inline: [
          {
            name: 'secrets',
            document: doc({
              Sid: 'Secrets',
              Effect: 'Allow',
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:ListSecrets'],
              Resource: '*',
            }),
          },
        ],
        managed: [],
        aws: ['vpc'],
      };
    case 'ThumbnailMaker':
      return {
        inline: [
          {
            name: 'config',
            document: doc({ Sid: 'Config', Effect: 'Allow', Action: 'ssm:GetParameter*', Resource: `arn:aws:ssm:${r}:${a}:parameter/*` }),
          },
        ],
        managed: [],
        aws: ['vpc'],
      };
    case 'ImageResizer':
      return {
        inline: [
          {
            name: 'media',
            document: doc(
              { Sid: 'Config', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:${r}:${a}:parameter/*` },
              { Sid: 'Images', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::orders-media-${a}/*` },
            ),
          },
        ],
        managed: [],
        aws: ['vpc'],
      };
    case 'NightlyReport':
      // Everything but IAM and Organizations: how a rushed report job gets its permissions.
      return {
        inline: [
          {
            name: 'reporting',
            document: doc({ Sid: 'AllButIam', Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' }),
          },
        ],
        managed: [],
        aws: [],
      };
    case 'PaymentsWebhook':
      return {
        inline: [
          {
            name: 'payments',
            document: doc(
              {
                Sid: 'TeamSecrets',
                Effect: 'Allow',
                Action: 'secretsmanager:GetSecretValue',
                Resource: '*',
                Condition: { StringEquals: { 'aws:ResourceTag/team': 'payments' } },
              },
              {
                Sid: 'EnvKey',
                Effect: 'Allow',
                Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
                Resource: account.kmsKeyArn,
              },
            ),
          },
        ],
        managed: [],
        aws: ['vpc'],
      };
    default:
      // orders-role, shared by OrderApi and OrderWorker.
      return {
        inline: [{ name: 'no-iam', document: doc({ Sid: 'NoIam', Effect: 'Deny', Action: 'iam:*', Resource: '*' }) }],
        managed: [
          {
            name: 'orders-access',
            defaultVersion: 'v2',
            versions: [
              { id: 'v1', document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) },
              {
                id: 'v2',
                document: doc(
                  {
                    Sid: 'Orders',
                    Effect: 'Allow',
                    Action: ['dynamodb:*', 'secretsmanager:GetSecretValue', 'ssm:GetParameter', 'ssm:GetParameters'],
                    Resource: '*',
                  },
                  { Sid: 'Browse', Effect: 'Allow', Action: 's3:List*', Resource: '*' },
                  { Sid: 'EnvKey', Effect: 'Allow', Action: 'kms:Decrypt', Resource: account.kmsKeyArn },
                ),
              },
            ],
          },
        ],
        aws: ['basic'],
      };
  }
}

/** `iam/roles.json` and `iam/policies.json` of the demo account, one entry per role in order of first use. */
export function demoIam(account: Account): { roles: unknown; policies: unknown } {
  const roles: unknown[] = [];
  const policies = new Map<string, unknown>();
  for (const role of account.roles) {
    const fn = account.functions.find((f) => f.role.name === role.name);
    if (!fn) continue;
    const p = demoRolePolicies(fn, account);
    const attached = [
      ...p.managed.map((m) => ({ PolicyName: m.name, PolicyArn: `arn:aws:iam::${account.accountId}:policy/${m.name}` })),
      ...p.aws.map((k) => ({ PolicyName: AWS_MANAGED[k].name, PolicyArn: AWS_MANAGED[k].arn })),
    ];
    roles.push({
      Role: {
        Path: '/',
        RoleName: role.name,
        RoleId: role.roleId,
        Arn: role.arn,
        CreateDate: CREATED,
        AssumeRolePolicyDocument: encoded(
          doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
        ),
        MaxSessionDuration: 3600,
      },
      AttachedPolicies: attached,
      RolePolicies: p.inline.map((i) => ({
        RoleName: role.name,
        PolicyName: `${role.name}-${i.name}`,
        PolicyDocument: encoded(i.document),
      })),
    });
    for (const m of p.managed) {
      const arn = `arn:aws:iam::${account.accountId}:policy/${m.name}`;
      policies.set(arn, {
        Policy: {
          PolicyName: m.name,
          Arn: arn,
          Path: '/',
          DefaultVersionId: m.defaultVersion,
          AttachmentCount: 1,
          IsAttachable: true,
          CreateDate: CREATED,
          UpdateDate: CREATED,
        },
        Versions: m.versions.map((v) => ({
          VersionId: v.id,
          IsDefaultVersion: v.id === m.defaultVersion,
          CreateDate: CREATED,
          Document: encoded(v.document),
        })),
      });
    }
    for (const k of p.aws) {
      const m = AWS_MANAGED[k];
      policies.set(m.arn, {
        Policy: {
          PolicyName: m.name,
          Arn: m.arn,
          Path: '/service-role/',
          DefaultVersionId: m.version,
          IsAttachable: true,
          CreateDate: CREATED,
          UpdateDate: CREATED,
        },
        Versions: [{ VersionId: m.version, IsDefaultVersion: true, CreateDate: CREATED, Document: encoded(m.document) }],
      });
    }
  }
  return { roles: { Roles: roles }, policies: { Policies: [...policies.values()] } };
}

/** The functions' security groups (DescribeSecurityGroups' answer): egress wider than the peers need, except where it rejects. */
export function demoSecurityGroups(account: Account): unknown {
  const all = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] };
  const tcp = (port: number, cidr: string, description?: string) => ({
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    IpRanges: [{ CidrIp: cidr, ...(description ? { Description: description } : {}) }],
    Ipv6Ranges: [],
    PrefixListIds: [],
    UserIdGroupPairs: [],
  });
  // Only media-processing is strict, which is why its MySQL connections are rejected in the demo's flow logs.
  const egress: Record<string, unknown[]> = {
    'media-processing': [tcp(443, '0.0.0.0/0', 'HTTPS'), tcp(6379, account.cidr, 'Redis')],
    reporting: [tcp(443, account.cidr, 'internal HTTPS'), tcp(5432, account.cidr, 'PostgreSQL'), tcp(22, account.cidr, 'ops')],
  };
  const used = new Map(account.functions.flatMap((f) => f.vpc?.groups ?? []).map((g) => [g.id, g] as const));
  return {
    SecurityGroups: [...used.values()].map((g) => ({
      GroupId: g.id,
      GroupName: g.name,
      Description: `${g.name} (Lambda)`,
      OwnerId: account.accountId,
      VpcId: account.vpcId,
      IpPermissions: [],
      IpPermissionsEgress: egress[g.name] ?? [all],
    })),
  };
}
