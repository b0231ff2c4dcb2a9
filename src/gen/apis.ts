// The AWS API calls the generator knows: request parameters that look like real ones, the calls an intruder tries, and how each service words a denial.
import type { Rng } from './random';

export interface ApiCall {
  source: string;
  name: string;
}

const READ_PREFIXES = ['Get', 'Describe', 'List', 'Lookup', 'Decrypt', 'GenerateDataKey'];

export function isReadOnly(name: string): boolean {
  return READ_PREFIXES.some((p) => name.startsWith(p));
}

/** Calls a function's code never makes until someone else runs code in it. */
export const RECON_APIS: readonly ApiCall[] = [
  { source: 's3.amazonaws.com', name: 'ListBuckets' },
  { source: 'ec2.amazonaws.com', name: 'DescribeInstances' },
  { source: 'iam.amazonaws.com', name: 'ListUsers' },
  { source: 'iam.amazonaws.com', name: 'ListRoles' },
  { source: 'lambda.amazonaws.com', name: 'ListFunctions20150331' },
  { source: 'secretsmanager.amazonaws.com', name: 'ListSecrets' },
  { source: 'dynamodb.amazonaws.com', name: 'ListTables' },
  { source: 'kms.amazonaws.com', name: 'ListKeys' },
  { source: 'sts.amazonaws.com', name: 'GetCallerIdentity' },
  { source: 'ec2.amazonaws.com', name: 'DescribeSecurityGroups' },
];

/** Calls that a least-privilege role is denied, with the error code the service really uses. */
export const DENIED_APIS: readonly (ApiCall & { code: string })[] = [
  { source: 'iam.amazonaws.com', name: 'CreateUser', code: 'AccessDenied' },
  { source: 'iam.amazonaws.com', name: 'AttachRolePolicy', code: 'AccessDenied' },
  { source: 'sts.amazonaws.com', name: 'AssumeRole', code: 'AccessDenied' },
  { source: 's3.amazonaws.com', name: 'PutBucketPolicy', code: 'AccessDenied' },
  { source: 'secretsmanager.amazonaws.com', name: 'GetSecretValue', code: 'AccessDeniedException' },
  { source: 'kms.amazonaws.com', name: 'ScheduleKeyDeletion', code: 'AccessDeniedException' },
  { source: 'ec2.amazonaws.com', name: 'RunInstances', code: 'Client.UnauthorizedOperation' },
];

export interface DenialContext {
  accountId: string;
  region: string;
  sessionArn: string;
  kmsKeyArn: string;
}

/** The resource a denied call was aimed at and the service's own wording of the denial. */
export function denialMessage(call: ApiCall, code: string, ctx: DenialContext, rng: Rng): string {
  const action = `${call.source.split('.')[0]}:${call.name}`;
  const resource: Record<string, string> = {
    'iam:CreateUser': `arn:aws:iam::${ctx.accountId}:user/svc-backup`,
    'iam:AttachRolePolicy': `arn:aws:iam::${ctx.accountId}:role/${ctx.sessionArn.split('/')[1] ?? 'role'}`,
    'sts:AssumeRole': `arn:aws:iam::${ctx.accountId}:role/OrganizationAccountAccessRole`,
    'secretsmanager:GetSecretValue': `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:prod/payments/admin-${rng.hex(6)}`,
    'kms:ScheduleKeyDeletion': ctx.kmsKeyArn,
    'ec2:RunInstances': `arn:aws:ec2:${ctx.region}:${ctx.accountId}:instance/*`,
  };
  if (code === 'AccessDenied' && call.source === 's3.amazonaws.com') return 'Access Denied';
  const text = `User: ${ctx.sessionArn} is not authorized to perform: ${action} on resource: ${resource[action] ?? '*'} because no identity-based policy allows the ${action} action`;
  if (code === 'Client.UnauthorizedOperation') {
    return `You are not authorized to perform this operation. ${text}. Encoded authorization failure message: ${rng.bytes(48).toString('base64url')}`;
  }
  return text;
}

/** Plausible requestParameters; LookupEvents returns them inside CloudTrailEvent. */
export function requestParameters(
  call: ApiCall,
  fnName: string,
  ctx: { accountId: string; region: string; kmsKeyArn: string },
  rng: Rng,
): Record<string, unknown> | null {
  const base = fnName.split('-')[0] ?? fnName;
  switch (`${call.source}:${call.name}`) {
    case 'secretsmanager.amazonaws.com:GetSecretValue':
      return { secretId: `prod/${base.toLowerCase()}/db` };
    case 'ssm.amazonaws.com:GetParameter':
      return { name: `/${base.toLowerCase()}/config`, withDecryption: true };
    case 'ssm.amazonaws.com:GetParametersByPath':
      return { path: `/${base.toLowerCase()}/`, recursive: true, withDecryption: true };
    case 'dynamodb.amazonaws.com:DescribeTable':
      return { tableName: `${base.toLowerCase()}-table` };
    case 'kms.amazonaws.com:GenerateDataKey':
      return { keyId: ctx.kmsKeyArn, keySpec: 'AES_256' };
    case 'kms.amazonaws.com:Decrypt':
      return { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { LambdaFunctionName: fnName } };
    case 's3.amazonaws.com:GetBucketLocation':
      return {
        location: '',
        bucketName: `${base.toLowerCase()}-artifacts-${ctx.accountId}`,
        Host: `${base.toLowerCase()}-artifacts-${ctx.accountId}.s3.amazonaws.com`,
      };
    case 's3.amazonaws.com:ListBuckets':
      return { Host: 's3.amazonaws.com' };
    case 'sns.amazonaws.com:ListTopics':
      return null;
    case 'sqs.amazonaws.com:GetQueueUrl':
      return { queueName: `${base.toLowerCase()}-queue` };
    case 'iam.amazonaws.com:CreateUser':
      return { userName: 'svc-backup' };
    case 'iam.amazonaws.com:AttachRolePolicy':
      return { roleName: 'svc-role', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
    case 'sts.amazonaws.com:AssumeRole':
      return { roleArn: `arn:aws:iam::${ctx.accountId}:role/OrganizationAccountAccessRole`, roleSessionName: `s${rng.hex(8)}` };
    case 'ec2.amazonaws.com:RunInstances':
      return { instancesSet: { items: [{ imageId: `ami-${rng.hex(17)}`, minCount: 1, maxCount: 1 }] }, instanceType: 'c5.4xlarge' };
    case 'kms.amazonaws.com:ScheduleKeyDeletion':
      return { keyId: ctx.kmsKeyArn, pendingWindowInDays: 7 };
    case 's3.amazonaws.com:PutBucketPolicy':
      return {
        bucketName: `${base.toLowerCase()}-artifacts-${ctx.accountId}`,
        Host: `${base.toLowerCase()}-artifacts-${ctx.accountId}.s3.amazonaws.com`,
      };
    default:
      return {};
  }
}
