// CloudTrail attribution by assumed-role session, per-call tallies, and the new-api-call / access-denied findings.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { trailEventFromAws } from '../../src/core/aws-shapes';
import type { LambdaFunction, TrailEvent } from '../../src/core/model';
import { TrailAttributor, apiCallReport, callFindings, isDenied } from '../../src/core/trail/calls';

const H = 3_600_000;
const DETECT = Date.UTC(2026, 10, 22);
const BASE = DETECT - 7 * 24 * H;

const fn = (name: string, role: string): LambdaFunction => ({
  name,
  arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
  role: `arn:aws:iam::123456789012:role/${role}`,
  tags: {},
});

let ids = 0;
function ev(over: Partial<TrailEvent> & { sessionName?: string; roleName?: string }): TrailEvent {
  return { eventId: `ev-${++ids}`, eventTime: DETECT + H, eventSource: 's3.amazonaws.com', eventName: 'GetObject', ...over };
}

function attributor(
  events: TrailEvent[],
  functions = [fn('orders', 'shared-role'), fn('billing', 'shared-role'), fn('mailer', 'mailer-role')],
) {
  const t = new TrailAttributor(functions, DETECT);
  for (const e of events) t.add(e);
  return t;
}

const summary = (t: TrailAttributor, name: string) =>
  t
    .calls(name)
    .map((c) => `${c.caller} ${c.eventSource}:${c.eventName} ${c.baseline.count}/${c.detect.count}`)
    .sort();

describe('TrailAttributor', () => {
  test('calls are attributed by session name', () => {
    const t = attributor([
      ev({ sessionName: 'mailer', roleName: 'mailer-role', eventSource: 'ses.amazonaws.com', eventName: 'SendEmail' }),
      ev({ sessionName: 'mailer', roleName: 'mailer-role', eventSource: 'ses.amazonaws.com', eventName: 'SendEmail', eventTime: BASE + H }),
    ]);
    assert.deepEqual(summary(t, 'mailer'), ['function ses.amazonaws.com:SendEmail 1/1']);
    assert.deepEqual(summary(t, 'orders'), []);
    assert.equal(t.events, 2);
    assert.equal(t.unattributed, 0);
  });

  test('two functions sharing one role are told apart by session', () => {
    const t = attributor([
      ev({ sessionName: 'orders', roleName: 'shared-role', eventSource: 'dynamodb.amazonaws.com', eventName: 'PutItem' }),
      ev({ sessionName: 'billing', roleName: 'shared-role', eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }),
      ev({ sessionName: 'billing', roleName: 'shared-role', eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }),
    ]);
    assert.deepEqual(summary(t, 'orders'), ['function dynamodb.amazonaws.com:PutItem 0/1']);
    assert.deepEqual(summary(t, 'billing'), ['function kms.amazonaws.com:Decrypt 0/2']);
  });

  test('role paths are ignored: the role name is the last part of the ARN', () => {
    const t = attributor(
      [ev({ sessionName: 'pathy', roleName: 'my-role' })],
      [{ ...fn('pathy', 'x'), role: 'arn:aws:iam::123456789012:role/service-role/team/my-role' }],
    );
    assert.equal(t.calls('pathy').length, 1);
  });

  test('awslambda_* sessions are lambda-service calls on every function of that role, never a finding', () => {
    const t = attributor([
      ev({ sessionName: 'awslambda_123_20261122', roleName: 'shared-role', eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }),
      ev({
        sessionName: 'awslambda_999',
        roleName: 'shared-role',
        eventSource: 'kms.amazonaws.com',
        eventName: 'Decrypt',
        errorCode: 'AccessDeniedException',
      }),
    ]);
    for (const name of ['orders', 'billing']) {
      const calls = t.calls(name);
      assert.deepEqual(summary(t, name), ['lambda-service kms.amazonaws.com:Decrypt 0/2']);
      for (const c of calls) {
        assert.deepEqual(callFindings(c), []);
        assert.equal(apiCallReport(c).caller, 'lambda-service');
      }
    }
    assert.deepEqual(summary(t, 'mailer'), []);
  });

  test('an awslambda_ session of an unknown role, or with no role, is unattributed', () => {
    const t = attributor([ev({ sessionName: 'awslambda_1', roleName: 'other-role' }), ev({ sessionName: 'awslambda_2' })]);
    assert.equal(t.unattributed, 2);
    for (const name of ['orders', 'billing', 'mailer']) assert.deepEqual(t.calls(name), []);
  });

  test('a session named like a function under another role is not attributed', () => {
    const t = attributor([
      ev({ sessionName: 'orders', roleName: 'attacker-role', eventSource: 'iam.amazonaws.com', eventName: 'ListUsers' }),
      ev({ sessionName: 'mailer', roleName: 'shared-role' }),
    ]);
    assert.deepEqual(t.calls('orders'), []);
    assert.deepEqual(t.calls('mailer'), []);
    assert.equal(t.unattributed, 2);
  });

  test('sessions of no scanned function are counted apart', () => {
    const t = attributor([ev({ sessionName: 'alice', roleName: 'Admin' }), ev({}), ev({ sessionName: '' })]);
    assert.equal(t.unattributed, 3);
    assert.equal(t.events, 3);
  });

  test('the same call by the function and by the Lambda service are separate tallies', () => {
    const t = attributor([
      ev({ sessionName: 'mailer', roleName: 'mailer-role', eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }),
      ev({ sessionName: 'awslambda_5', roleName: 'mailer-role', eventSource: 'kms.amazonaws.com', eventName: 'Decrypt' }),
    ]);
    assert.deepEqual(summary(t, 'mailer'), ['function kms.amazonaws.com:Decrypt 0/1', 'lambda-service kms.amazonaws.com:Decrypt 0/1']);
  });

  test('unknown function names have no calls', () => {
    assert.deepEqual(attributor([]).calls('nobody'), []);
  });
});

describe('isDenied', () => {
  test('denials', () => {
    for (const code of [
      'AccessDenied',
      'UnauthorizedOperation',
      'Client.UnauthorizedOperation',
      'AccessDeniedException',
      'KMS.AccessDeniedException',
      'accessdenied',
    ]) {
      assert.equal(isDenied(ev({ errorCode: code })), true, code);
    }
  });

  test('other errors and successes', () => {
    for (const code of [undefined, '', 'ThrottlingException', 'ResourceNotFoundException', 'NoSuchKey', 'ValidationException']) {
      assert.equal(isDenied(ev({ errorCode: code })), false, String(code));
    }
  });
});

describe('callFindings', () => {
  const findingsOf = (events: TrailEvent[], name = 'mailer') =>
    attributor(events)
      .calls(name)
      .flatMap((c) => callFindings(c));
  const mailer = (over: Partial<TrailEvent>) => ev({ sessionName: 'mailer', roleName: 'mailer-role', ...over });

  test('a call never made in the baseline is a new-api-call with subject eventSource:eventName', () => {
    const fs = findingsOf([
      mailer({ eventSource: 'sqs.amazonaws.com', eventName: 'SendMessage', eventTime: DETECT + 2 * H }),
      mailer({ eventSource: 'sqs.amazonaws.com', eventName: 'SendMessage', eventTime: DETECT + 5 * H }),
    ]);
    assert.equal(fs.length, 1);
    assert.equal(fs[0].kind, 'new-api-call');
    assert.equal(fs[0].subject, 'sqs.amazonaws.com:SendMessage');
    assert.equal(fs[0].severity, 'medium');
    assert.equal(fs[0].evidence.count, 2);
    assert.equal(fs[0].evidence.firstSeen, new Date(DETECT + 2 * H).toISOString().replace('.000Z', 'Z'));
    assert.equal(fs[0].evidence.lastSeen, new Date(DETECT + 5 * H).toISOString().replace('.000Z', 'Z'));
    assert.equal((fs[0].evidence.eventIds as string[]).length, 2);
  });

  test('identity and reconnaissance calls are high severity', () => {
    for (const [eventSource, eventName] of [
      ['iam.amazonaws.com', 'CreateAccessKey'],
      ['sts.amazonaws.com', 'GetCallerIdentity'],
      ['s3.amazonaws.com', 'ListBuckets'],
      ['ec2.amazonaws.com', 'DescribeInstances'],
    ]) {
      const fs = findingsOf([mailer({ eventSource, eventName })]);
      assert.deepEqual(
        fs.map((f) => [f.kind, f.severity]),
        [['new-api-call', 'high']],
        eventName,
      );
    }
  });

  test('a call seen once in the baseline (a weekly job) is not new', () => {
    const fs = findingsOf([
      mailer({ eventSource: 'ses.amazonaws.com', eventName: 'GetSendQuota', eventTime: BASE + 2 * H }),
      mailer({ eventSource: 'ses.amazonaws.com', eventName: 'GetSendQuota', eventTime: DETECT + 3 * H }),
    ]);
    assert.deepEqual(fs, []);
  });

  test('a call only in the baseline raises nothing', () => {
    assert.deepEqual(findingsOf([mailer({ eventTime: BASE + H })]), []);
  });

  test('an event exactly at the start of the detection window belongs to it', () => {
    const t = attributor([mailer({ eventTime: DETECT }), mailer({ eventTime: DETECT - 1, eventName: 'PutObject' })]);
    const byName = new Map(t.calls('mailer').map((c) => [c.eventName, c]));
    assert.equal(byName.get('GetObject')!.detect.count, 1);
    assert.equal(byName.get('PutObject')!.baseline.count, 1);
  });

  test('denied calls are an access-denied finding, high severity', () => {
    for (const errorCode of ['AccessDenied', 'UnauthorizedOperation', 'Client.UnauthorizedOperation', 'AccessDeniedException']) {
      const fs = findingsOf([
        mailer({ eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', errorCode, errorMessage: 'not authorized' }),
      ]);
      assert.equal(fs.length, 1, errorCode);
      assert.equal(fs[0].kind, 'access-denied');
      assert.equal(fs[0].subject, 'secretsmanager.amazonaws.com:GetSecretValue');
      assert.equal(fs[0].severity, 'high');
      assert.equal(fs[0].evidence.denied, 1);
      assert.deepEqual(fs[0].evidence.errorMessages, ['not authorized']);
      assert.match(fs[0].recommendation ?? '', /secretsmanager:GetSecretValue/);
    }
  });

  test('a denial of a call also made in the baseline (but never denied) is still access-denied', () => {
    const fs = findingsOf([
      mailer({ eventName: 'GetObject', eventTime: BASE + H }),
      mailer({ eventName: 'GetObject', errorCode: 'AccessDenied' }),
    ]);
    assert.deepEqual(
      fs.map((f) => f.kind),
      ['access-denied'],
    );
    assert.doesNotMatch(fs[0].title, /never called before/);
  });

  test('denials already present in the baseline raise nothing new', () => {
    const fs = findingsOf([
      mailer({ eventName: 'GetObject', errorCode: 'AccessDenied', eventTime: BASE + H }),
      mailer({ eventName: 'GetObject', errorCode: 'AccessDenied' }),
    ]);
    assert.deepEqual(fs, []);
  });

  test('other errors in a new call still make it a new call, and are counted as errors', () => {
    const t = attributor([mailer({ eventName: 'GetObject', errorCode: 'NoSuchKey' })]);
    const [c] = t.calls('mailer');
    assert.deepEqual(
      callFindings(c).map((f) => f.kind),
      ['new-api-call'],
    );
    const r = apiCallReport(c);
    assert.equal(r.errors, 1);
    assert.equal(r.denied, undefined);
  });

  test('a session under another role never produces a finding for the function', () => {
    assert.deepEqual(
      findingsOf([ev({ sessionName: 'mailer', roleName: 'shared-role', eventSource: 'iam.amazonaws.com', eventName: 'CreateUser' })]),
      [],
    );
  });
});

describe('apiCallReport', () => {
  test('detection counts, baseline block, samples', () => {
    const events = [
      ev({ sessionName: 'mailer', roleName: 'mailer-role', eventTime: BASE + H }),
      ev({ sessionName: 'mailer', roleName: 'mailer-role', eventTime: BASE + 2 * H, errorCode: 'NoSuchKey' }),
      ...Array.from({ length: 8 }, (_, i) =>
        ev({
          sessionName: 'mailer',
          roleName: 'mailer-role',
          eventTime: DETECT + i * 60_000,
          ...(i === 0 ? { errorCode: 'AccessDenied' } : {}),
        }),
      ),
    ];
    const [c] = attributor(events).calls('mailer');
    const r = apiCallReport(c);
    assert.equal(r.eventSource, 's3.amazonaws.com');
    assert.equal(r.eventName, 'GetObject');
    assert.equal(r.count, 8);
    assert.equal(r.errors, 1);
    assert.equal(r.denied, 1);
    assert.equal(r.inBaseline, true);
    assert.equal(r.caller, 'function');
    assert.deepEqual(r.baseline, { count: 2, errors: 1, firstSeen: '2026-11-15T01:00:00Z', lastSeen: '2026-11-15T02:00:00Z' });
    assert.equal(r.firstSeen, '2026-11-22T00:00:00Z');
    assert.equal(r.lastSeen, '2026-11-22T00:07:00Z');
    assert.ok(r.sampleEventIds && r.sampleEventIds.length >= 1 && r.sampleEventIds.length <= 8);
  });

  test('a call only in the baseline has no detection times', () => {
    const [c] = attributor([ev({ sessionName: 'mailer', roleName: 'mailer-role', eventTime: BASE })]).calls('mailer');
    const r = apiCallReport(c);
    assert.equal(r.count, 0);
    assert.equal(r.inBaseline, true);
    assert.equal(r.firstSeen, undefined);
    assert.equal(r.sampleEventIds, undefined);
  });
});

describe('trailEventFromAws feeds attribution', () => {
  test('session and role come from the assumed-role ARN, not from Username', () => {
    const raw = {
      EventId: 'e-1',
      EventName: 'ListUsers',
      EventTime: '2026-11-22T10:00:00Z',
      EventSource: 'iam.amazonaws.com',
      Username: 'mailer',
      CloudTrailEvent: JSON.stringify({
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/mailer-role/mailer' },
        errorCode: 'AccessDenied',
        errorMessage: 'User is not authorized',
        sourceIPAddress: '3.91.52.239',
        userAgent: 'aws-sdk-js/3',
      }),
    };
    const e = trailEventFromAws(raw);
    assert.equal(e.sessionName, 'mailer');
    assert.equal(e.roleName, 'mailer-role');
    assert.equal(e.eventTime, Date.parse('2026-11-22T10:00:00Z'));
    assert.equal(e.errorCode, 'AccessDenied');
    const fs = attributor([e])
      .calls('mailer')
      .flatMap((c) => callFindings(c));
    assert.deepEqual(
      fs.map((f) => [f.kind, f.subject]),
      [['access-denied', 'iam.amazonaws.com:ListUsers']],
    );
  });

  test('a session name with a slash is kept whole', () => {
    const e = trailEventFromAws({
      EventTime: '2026-11-22T10:00:00Z',
      CloudTrailEvent: JSON.stringify({
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
        eventID: 'x',
        userIdentity: { arn: 'arn:aws:sts::1:assumed-role/r/a/b' },
      }),
    });
    assert.equal(e.roleName, 'r');
    assert.equal(e.sessionName, 'a/b');
    assert.equal(e.eventSource, 'sts.amazonaws.com');
    assert.equal(e.eventId, 'x');
  });
});
