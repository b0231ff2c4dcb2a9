// The cloudtrail coverage sentence names where the calls were read: LookupEvents by default, else the Lake or Athena query that answered.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { LambdaFunction } from '../../src/core/model';
import { SourceAttempts } from '../../src/core/scan/attempts';
import { functionCoverage, type CoverageEvidence } from '../../src/core/scan/function-coverage';
import { silentLogger } from '../../src/core/ports';

const fn: LambdaFunction = {
  name: 'OrderApi',
  arn: 'arn:aws:lambda:us-east-1:123456789012:function:OrderApi',
  role: 'arn:aws:iam::123456789012:role/order-api',
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  tags: {},
};

function evidence(readFrom?: string): CoverageEvidence {
  return {
    attempts: new SourceAttempts(new AbortController().signal, silentLogger),
    flows: {
      assignment: { byFlowLog: new Map(), byEni: new Map() },
      rows: [],
      stats: {} as CoverageEvidence['flows']['stats'],
      problems: new Map(),
      notes: new Map(),
      unknownEnis: new Map(),
    },
    metrics: { analyses: new Map(), withData: new Set() },
    ...(readFrom ? { trail: { readFrom } } : {}),
  };
}

describe('cloudtrail coverage', () => {
  test('paged from LookupEvents: management events, and that data events are not among them', () => {
    const { coverage, coverageStatus } = functionCoverage(fn, [], evidence());
    assert.equal(coverageStatus.cloudtrail.status, 'complete');
    assert.match(
      coverage.cloudtrail,
      /management events by the function's role session \(data events such as S3 GetObject are not in LookupEvents\)/,
    );
  });

  test('answered by a CloudTrail Lake query: the sentence names the event data store, not LookupEvents', () => {
    const { coverage, coverageStatus } = functionCoverage(
      fn,
      [],
      evidence('CloudTrail Lake event data store eds-1: one query for the scan, 1.2 GB scanned'),
    );
    assert.equal(coverageStatus.cloudtrail.status, 'complete');
    assert.match(coverage.cloudtrail, /from CloudTrail Lake event data store eds-1: one query for the scan, 1\.2 GB scanned/);
    assert.doesNotMatch(coverage.cloudtrail, /LookupEvents/);
  });
});
