// The API-call locator and the handler-definition finder on TypeScript, JavaScript and Python sources: SDK v3, v2, boto3, comments, strings and odd input.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ApiCallMatch } from '../../src/source/api-calls';
import { bestApiCalls, locateApiCalls, operationName, serviceNames, snakeCase } from '../../src/source/api-calls';
import { maskCode } from '../../src/source/code-text';
import { findHandlerDefinition } from '../../src/source/handler';
import { importSpecifiers } from '../../src/source/imports';

const TS = `// Orders API
import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';
import { IAMClient, CreateUserCommand as NewUser } from "@aws-sdk/client-iam";
import * as sm from '@aws-sdk/client-secrets-manager';
import { SQS } from '@aws-sdk/client-sqs';

const s3 = new S3Client({});
const queue = new SQS({});
// await s3.send(new ListBucketsCommand({})) in a comment
const hint = "new ListBucketsCommand(";
const re = /new ListBucketsCommand\\(/g;
const t = \`\${await s3.send(new ListBucketsCommand({}))} done\`;

export const handler = async () => {
  await s3.send(new ListBucketsCommand({}));
  await new IAMClient({}).send(new NewUser({ UserName: 'x' }));
  await new sm.SecretsManagerClient({}).send(new sm.GetSecretValueCommand({ SecretId: 's' }));
  await queue.listQueues({});
  await queue.listBuckets();
};
`;

const V2 = `const AWS = require('aws-sdk');
const S3 = require('aws-sdk/clients/s3');
const iam = new AWS.IAM();
const s3 = new S3({ region: 'us-east-1' });
exports.handler = async () => {
  await s3.listBuckets().promise();
  await iam.createUser({ UserName: 'x' }).promise();
  await new AWS.S3().listBuckets().promise();
  await somethingElse.listBuckets();
};
`;

const PY = `import boto3

sm = boto3.client("secretsmanager")
session = boto3.session.Session()
s3 = session.client(service_name='s3')


class Repo:
    def __init__(self):
        self.ddb = boto3.client('dynamodb')

    def describe(self):
        return self.ddb.describe_table(TableName="t")


def lambda_handler(event, context):
    # sm.get_secret_value(SecretId="commented out")
    doc = """ s3.list_buckets() in a docstring """
    secret = sm.get_secret_value(SecretId="x")
    boto3.client('s3').list_buckets()
    s3.list_buckets()
    sm.list_buckets()
    return secret
`;

const lines = (ms: ApiCallMatch[]) => ms.map((m) => `${m.line}:${m.column}-${m.endColumn} ${m.kind} ${m.score}`);

describe('API-call locator: SDK v3', () => {
  it('finds `new XxxCommand(` on a client of the right service, not in comments, strings or regexes; the import is weaker', () => {
    const ms = locateApiCalls(TS, 'typescript', { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' });
    assert.deepEqual(lines(ms), [
      '12:32-50 sdk-v3-command 3', // inside a template literal's ${...}: code
      '15:21-39 sdk-v3-command 3',
      '2:20-38 sdk-v3-import 1',
      '19:15-26 sdk-v3-aggregated 0', // an SQS client's method of the same name
    ]);
    assert.deepEqual(lines(bestApiCalls(ms)), ['12:32-50 sdk-v3-command 3', '15:21-39 sdk-v3-command 3']);
  });

  it('follows an aliased import and a namespace import to the command and its service', () => {
    const denied = locateApiCalls(TS, 'typescript', { eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' });
    assert.deepEqual(lines(bestApiCalls(denied)), ['16:36-43 sdk-v3-command 3']);
    assert.equal(denied.find((m) => m.kind === 'sdk-v3-import')?.text, 'CreateUserCommand');
    const secret = locateApiCalls(TS, 'typescript', { eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue' });
    assert.deepEqual(lines(secret), ['17:53-74 sdk-v3-command 3']);
  });

  it("finds aggregated-client methods by their client's service", () => {
    const ms = locateApiCalls(TS, 'typescript', { eventSource: 'sqs.amazonaws.com', eventName: 'ListQueues' });
    assert.deepEqual(lines(ms), ['18:15-25 sdk-v3-aggregated 3']);
  });

  it('says nothing about a call the file does not make', () => {
    assert.deepEqual(locateApiCalls(TS, 'typescript', { eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }), []);
  });
});

describe('API-call locator: SDK v2', () => {
  it('finds `.listBuckets(` on AWS.S3 and aws-sdk/clients/s3 clients, and a client of unknown service as second best', () => {
    const ms = locateApiCalls(V2, 'javascript', { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' });
    assert.deepEqual(lines(ms), ['6:12-23 sdk-v2 3', '8:22-33 sdk-v2 3', '9:23-34 sdk-method 2']);
    const iam = locateApiCalls(V2, 'javascript', { eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' });
    assert.deepEqual(lines(iam), ['7:13-23 sdk-v2 3']);
  });
});

describe('API-call locator: boto3', () => {
  it('finds the snake_case method on a client of the right service, in place or assigned, on self', () => {
    const s3 = locateApiCalls(PY, 'python', { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' });
    assert.deepEqual(lines(s3), ['20:24-36 boto3 3', '21:8-20 boto3 3', '22:8-20 boto3 0']);
    const secret = locateApiCalls(PY, 'python', { eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue' });
    assert.deepEqual(lines(secret), ['19:17-33 boto3 3']);
    const ddb = locateApiCalls(PY, 'python', { eventSource: 'dynamodb.amazonaws.com', eventName: 'DescribeTable' });
    assert.deepEqual(lines(ddb), ['13:25-39 boto3 3']);
  });

  it("turns operation names into botocore's method names", () => {
    assert.deepEqual(['ListBuckets', 'GetBucketACL', 'ListMLModels', 'DescribeDBInstances', 'ListARNs'].map(snakeCase), [
      'list_buckets',
      'get_bucket_acl',
      'list_ml_models',
      'describe_db_instances',
      'list_arns',
    ]);
    assert.equal(operationName('ListFunctions20150331'), 'ListFunctions');
    assert.equal(operationName('GetFunctionConfiguration20150331v2'), 'GetFunctionConfiguration');
    assert.equal(operationName('bad name'), undefined);
    assert.deepEqual(serviceNames('monitoring.amazonaws.com'), ['cloudwatch']);
    assert.deepEqual(serviceNames('secretsmanager.amazonaws.com'), ['secretsmanager']);
  });
});

describe('odd input', () => {
  it('keeps offsets and line breaks when masking, and never throws on unclosed strings, comments or templates', () => {
    for (const text of ['/* never closed', '"never closed\nnext', '`${ {', 'a = """', "x = '\\", '/', ')'.repeat(5000) + '.listBuckets(']) {
      for (const language of ['typescript', 'python'] as const) {
        assert.equal(maskCode(text, language).length, text.length);
        assert.doesNotThrow(() => locateApiCalls(text, language, { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' }));
      }
    }
  });

  it("takes any text without throwing, and every match points at the operation's name (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom('typescript', 'javascript', 'python') as fc.Arbitrary<'typescript' | 'javascript' | 'python'>,
        (noise, language) => {
          const text = `${noise}\ns3.listBuckets();\n${noise}`;
          const masked = maskCode(text, language);
          assert.equal(masked.length, text.length);
          assert.equal(masked.split('\n').length, text.split('\n').length);
          for (const m of locateApiCalls(text, language, { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' })) {
            const line = text.split('\n')[m.line - 1];
            assert.equal(line.slice(m.column - 1, m.endColumn - 1), m.text);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('handler definitions', () => {
  const def = (text: string, language: 'typescript' | 'javascript' | 'python', symbol: string) =>
    findHandlerDefinition(text, language, symbol)?.line;

  it('finds the exported handler in its usual forms', () => {
    assert.equal(def('// x\nexport const handler = async () => 1;', 'typescript', 'handler'), 2);
    assert.equal(def('export async function handler(e) {}', 'javascript', 'handler'), 1);
    assert.equal(def('\n\nexports.handler = async () => {};', 'javascript', 'handler'), 3);
    assert.equal(def('\nmodule.exports.main = () => {};', 'javascript', 'main'), 2);
    assert.equal(def('async function run() {}\n\nexport { run as handler };', 'typescript', 'handler'), 1, 'the local the export renames');
    assert.equal(def('const handler = () => {};\nmodule.exports = { handler };', 'javascript', 'handler'), 1);
    assert.equal(
      def('// export const handler = 1\nconst x = "export const handler";', 'typescript', 'handler'),
      undefined,
      'not in comments or strings',
    );
    assert.equal(
      def('import x\n\ndef helper():\n    pass\n\ndef lambda_handler(event, context):\n    pass', 'python', 'lambda_handler'),
      6,
    );
    assert.equal(def('async def handler(event, context):\n    pass', 'python', 'handler'), 1);
  });

  it("lists a file's relative imports (JS/TS) and module imports (Python)", () => {
    assert.deepEqual(
      importSpecifiers(
        "import { a } from './db.js';\nconst b = require('../lib/aws');\nimport x from 'lodash';\n// import y from './no'",
        'typescript',
      ),
      ['./db.js', '../lib/aws'],
    );
    assert.deepEqual(importSpecifiers('from .sql import TOTALS\nfrom . import util, db\nimport lib.aws as aws\n# import nope', 'python'), [
      '.sql',
      '.util',
      '.db',
      'lib.aws',
    ]);
  });
});
