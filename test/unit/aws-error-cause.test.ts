// SourceErrors keep the SDK error they sort as their cause, and nothing of that cause reaches a report, a warning or a log line.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { LambdaFunction, MetricSeries, TrailEvent } from '../../src/core/model';
import { SourceError, type AccountInfo, type FlowData, type TelemetrySource } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { createClients } from '../../src/aws/clients';
import { classifyAwsError } from '../../src/aws/errors';
import { call } from '../../src/aws/fetch';

const KEY_ID = 'AKIACAUSETESTKEYID7Q';
const SECRET = 'cAuSe/SeCrEt+KeY/0123456789abcdefghijklmn';
const TOKEN = 'IQoJb3JpZ2luX2VjECAUSETESTTOKEN';

/** An SDK error as the SDK builds one, with a request's secrets where a careless logger would find them. */
function sdkError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(`${message}\nCredential=${KEY_ID}/20261123/us-east-1`), {
    name,
    $metadata: { httpStatusCode: status, requestId: 'req-7f3a' },
    $response: { headers: { authorization: `AWS4-HMAC-SHA256 Credential=${KEY_ID}, Signature=${SECRET}`, 'x-amz-security-token': TOKEN } },
  });
}

const leaks = (text: string) => [KEY_ID, SECRET, TOKEN].filter((s) => text.includes(s));

describe('classifyAwsError keeps the SDK error as the cause', () => {
  const cases: Array<[string, Error, string]> = [
    ['access-denied', sdkError('AccessDeniedException', 'not authorized', 403), 'cloudtrail:LookupEvents'],
    [
      'expired-credentials',
      sdkError('ExpiredTokenException', 'The security token included in the request is expired', 400),
      'sts:GetCallerIdentity',
    ],
    ['throttled', sdkError('ThrottlingException', 'Rate exceeded', 400), 'cloudwatch:GetMetricData'],
    [
      'network',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        code: 'ECONNREFUSED',
        config: { credentials: { secretAccessKey: SECRET } },
      }),
      'lambda:ListFunctions',
    ],
    ['other', sdkError('InternalFailure', 'We encountered an internal error', 500), 'ec2:DescribeFlowLogs'],
  ];
  for (const [kind, sdk, action] of cases) {
    test(`${kind}: the cause is the SDK error, the message and the JSON say nothing secret`, () => {
      const err = classifyAwsError(sdk, action, 'endpoint', 'dev');
      assert.ok(SourceError.is(err));
      assert.equal(err.kind, kind);
      assert.equal(err.cause, sdk);
      assert.deepEqual(leaks(err.message), []);
      assert.deepEqual(leaks(String(err)), []);
      assert.deepEqual(leaks(err.stack ?? ''), []);
      assert.deepEqual(leaks(JSON.stringify(err)), [], 'the cause is not an enumerable field');
    });
  }

  test('a cancellation and an error already sorted are returned as they are, without a cause added', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    assert.equal(classifyAwsError(abort, 'x:Y', 'x'), abort);
    const sorted = new SourceError('throttled', 'slow');
    assert.equal(classifyAwsError(sorted, 'x:Y', 'x'), sorted);
    assert.equal(sorted.cause, undefined);
  });

  test('an SDK call that fails rejects with a SourceError whose cause is what the SDK threw', async () => {
    const clients = createClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    const sdk = sdkError('AccessDeniedException', 'not authorized', 403);
    await assert.rejects(
      call(clients, 'logs:StartQuery', 'logs', () => Promise.reject(sdk)),
      (err: unknown) => {
        assert.ok(SourceError.is(err));
        assert.equal(err.iamAction, 'logs:StartQuery');
        assert.equal(err.cause, sdk);
        return true;
      },
    );
  });
});

describe('a scan with a failing source: the cause is for the debug log only', () => {
  class FailingTrail implements TelemetrySource {
    readonly label = 'failing trail';
    constructor(private readonly error: Error) {}
    async account(): Promise<AccountInfo> {
      return { accountId: '123456789012', region: 'us-east-1', recordedAt: Date.UTC(2026, 10, 23) };
    }
    async listFunctions(): Promise<LambdaFunction[]> {
      return [
        { name: 'edge', arn: 'arn:aws:lambda:us-east-1:123456789012:function:edge', role: 'arn:aws:iam::123456789012:role/edge', tags: {} },
      ];
    }
    async listNetworkInterfaces() {
      return [];
    }
    async describeFlowLogs() {
      return [];
    }
    async *readFlowLog(): AsyncIterable<FlowData> {}
    async *lookupEvents(): AsyncIterable<TrailEvent[]> {
      throw this.error;
    }
    async getMetrics(): Promise<MetricSeries[]> {
      throw this.error;
    }
  }

  test('coverage and warnings word the failure; the logs name the cause by name and request id, never its secrets', async () => {
    const sdk = sdkError('AccessDeniedException', 'User is not authorized to perform: cloudtrail:LookupEvents', 403);
    const denied = classifyAwsError(sdk, 'cloudtrail:LookupEvents', 'cloudtrail');
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), debug: (m: string) => lines.push(m) };
    const report = await scan(new FailingTrail(denied), { baselineDays: 7, detectHours: 24, logger: log });
    const edge = report.functions[0];
    assert.equal(edge.coverage.cloudtrail, 'failed: access denied: needs cloudtrail:LookupEvents');
    assert.deepEqual(edge.coverageStatus?.cloudtrail, {
      status: 'failed',
      errorKind: 'access-denied',
      iamAction: 'cloudtrail:LookupEvents',
    });
    assert.deepEqual(leaks(JSON.stringify(report)), []);
    assert.deepEqual(leaks(lines.join('\n')), []);
    assert.ok(
      lines.includes('[scan] cloudtrail:LookupEvents: caused by AccessDeniedException, HTTP 403, request id req-7f3a'),
      lines.join('\n'),
    );
  });
});
