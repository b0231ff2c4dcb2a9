// Accepted behaviour: parsing the baseline file, matching findings, accepting without duplicates, filtering in a scan.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { accept, emptyAccepted, isAccepted, parseAccepted, type AcceptedBehaviour } from '../../src/core/accepted';
import type { LambdaFunction, MetricSeries, TrailEvent } from '../../src/core/model';
import { InputError, type TelemetrySource } from '../../src/core/ports';
import { scan } from '../../src/core/scan';

const FILE = '/repo/.lambda-behavior/baseline.json';

function parseError(text: string): InputError {
  try {
    parseAccepted(text, FILE);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err;
  }
  assert.fail(`no error for ${text}`);
}

describe('parseAccepted', () => {
  test('a valid document', () => {
    const doc = parseAccepted(
      JSON.stringify({
        formatVersion: 1,
        accepted: [
          { function: 'orders', kind: 'new-peer', subject: '10.0.3.14:5432/tcp', acceptedAt: '2026-11-20T00:00:00Z', note: 'new DB' },
        ],
      }),
      FILE,
    );
    assert.equal(doc.formatVersion, 1);
    assert.equal(doc.accepted.length, 1);
    assert.equal(doc.accepted[0].note, 'new DB');
    assert.deepEqual(parseAccepted('{"formatVersion":1,"accepted":[]}', FILE), emptyAccepted());
  });

  test('not JSON: the message names the file', () => {
    const err = parseError('{"formatVersion": 1, "accepted": [');
    assert.ok(err.message.startsWith(FILE), err.message);
    assert.match(err.message, /JSON/);
  });

  test('the wrong shape: the message names the file and the expected shape', () => {
    for (const text of [
      'null',
      '[]',
      '3',
      '"x"',
      '{}',
      '{"formatVersion":2,"accepted":[]}',
      '{"formatVersion":1}',
      '{"formatVersion":1,"accepted":{}}',
    ]) {
      const err = parseError(text);
      assert.ok(err.message.startsWith(FILE), `${text}: ${err.message}`);
      assert.match(err.message, /formatVersion/, text);
    }
  });

  test('a bad entry: the message names the file and the entry index', () => {
    const entries = [
      { kind: 'new-peer', subject: 'x' },
      { function: 'f', kind: 'not-a-kind', subject: 'x' },
      { function: 'f', kind: 'new-peer' },
      { function: 3, kind: 'new-peer', subject: 'x' },
      null,
      'text',
    ];
    for (const bad of entries) {
      const ok = { function: 'f', kind: 'new-api-call', subject: 's3.amazonaws.com:GetObject' };
      const err = parseError(JSON.stringify({ formatVersion: 1, accepted: [ok, ok, bad] }));
      assert.ok(err.message.startsWith(FILE), err.message);
      assert.match(err.message, /accepted\[2\]/, JSON.stringify(bad));
    }
  });

  test('every finding kind is accepted', () => {
    for (const kind of [
      'new-peer',
      'rejected-traffic',
      'traffic-spike',
      'new-api-call',
      'access-denied',
      'invocation-spike',
      'error-spike',
      'throttle-spike',
    ]) {
      assert.doesNotThrow(
        () => parseAccepted(JSON.stringify({ formatVersion: 1, accepted: [{ function: 'f', kind, subject: 's' }] }), FILE),
        kind,
      );
    }
  });
});

describe('isAccepted', () => {
  const doc: AcceptedBehaviour = {
    formatVersion: 1,
    accepted: [
      { function: 'orders', kind: 'new-peer', subject: '10.0.3.14:5432/tcp' },
      { function: '*', kind: 'new-api-call', subject: 'kms.amazonaws.com:Decrypt' },
    ],
  };

  test('matches function, kind and subject', () => {
    assert.equal(isAccepted(doc, 'orders', { kind: 'new-peer', subject: '10.0.3.14:5432/tcp' }), true);
    assert.equal(isAccepted(doc, 'billing', { kind: 'new-peer', subject: '10.0.3.14:5432/tcp' }), false);
    assert.equal(isAccepted(doc, 'orders', { kind: 'rejected-traffic', subject: '10.0.3.14:5432/tcp' }), false);
    assert.equal(isAccepted(doc, 'orders', { kind: 'new-peer', subject: '10.0.3.14:5433/tcp' }), false);
  });

  test('`*` accepts for every function', () => {
    for (const fn of ['orders', 'billing', 'anything'])
      assert.equal(isAccepted(doc, fn, { kind: 'new-api-call', subject: 'kms.amazonaws.com:Decrypt' }), true);
    assert.equal(isAccepted(doc, 'orders', { kind: 'access-denied', subject: 'kms.amazonaws.com:Decrypt' }), false);
  });

  test('subjects compare without case', () => {
    assert.equal(isAccepted(doc, 'orders', { kind: 'new-api-call', subject: 'KMS.amazonaws.com:decrypt' }), true);
  });

  test('no document accepts nothing', () => {
    assert.equal(isAccepted(undefined, 'orders', { kind: 'new-peer', subject: '10.0.3.14:5432/tcp' }), false);
    assert.equal(isAccepted(emptyAccepted(), 'orders', { kind: 'new-peer', subject: '10.0.3.14:5432/tcp' }), false);
  });
});

describe('accept', () => {
  test('adds an entry without changing the original', () => {
    const doc = emptyAccepted();
    const next = accept(doc, 'orders', { kind: 'new-peer', subject: '1.2.3.4:443/tcp' }, '2026-11-23T00:00:00Z', 'CDN');
    assert.deepEqual(doc.accepted, []);
    assert.deepEqual(next.accepted, [
      { function: 'orders', kind: 'new-peer', subject: '1.2.3.4:443/tcp', acceptedAt: '2026-11-23T00:00:00Z', note: 'CDN' },
    ]);
    const noNote = accept(doc, 'orders', { kind: 'new-peer', subject: '1.2.3.4:443/tcp' }, 't');
    assert.equal('note' in noNote.accepted[0], false);
  });

  test('does not duplicate an entry, nor one already covered by `*` or another case', () => {
    let doc = accept(emptyAccepted(), 'orders', { kind: 'new-peer', subject: '1.2.3.4:443/tcp' }, 't1');
    doc = accept(doc, 'orders', { kind: 'new-peer', subject: '1.2.3.4:443/tcp' }, 't2');
    doc = accept(doc, 'orders', { kind: 'new-peer', subject: '1.2.3.4:443/TCP' }, 't3');
    assert.equal(doc.accepted.length, 1);
    doc = accept(doc, '*', { kind: 'new-api-call', subject: 'sts.amazonaws.com:GetCallerIdentity' }, 't4');
    doc = accept(doc, 'billing', { kind: 'new-api-call', subject: 'sts.amazonaws.com:GetCallerIdentity' }, 't5');
    assert.equal(doc.accepted.length, 2);
    // A different kind or function is a new entry.
    doc = accept(doc, 'billing', { kind: 'new-peer', subject: '1.2.3.4:443/tcp' }, 't6');
    assert.equal(doc.accepted.length, 3);
  });

  test('an accepted document survives a round trip through parseAccepted', () => {
    const doc = accept(emptyAccepted(), '*', { kind: 'throttle-spike', subject: 'Throttles' }, 't');
    assert.deepEqual(parseAccepted(JSON.stringify(doc), FILE), doc);
  });
});

describe('accepted findings in a scan', () => {
  const H = 3_600_000;
  const NOW = Date.UTC(2026, 10, 23);
  const functions: LambdaFunction[] = ['alpha', 'beta'].map((name) => ({
    name,
    arn: `arn:aws:lambda:us-east-1:1:function:${name}`,
    role: `arn:aws:iam::1:role/${name}-role`,
    tags: {},
  }));
  const events: TrailEvent[] = functions.flatMap((f, i) => [
    {
      eventId: `${f.name}-1`,
      eventTime: NOW - 3 * H,
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      sessionName: f.name,
      roleName: `${f.name}-role`,
    },
    {
      eventId: `${f.name}-2`,
      eventTime: NOW - 2 * H - i,
      eventSource: 'sqs.amazonaws.com',
      eventName: 'SendMessage',
      sessionName: f.name,
      roleName: `${f.name}-role`,
    },
    {
      eventId: `${f.name}-3`,
      eventTime: NOW - H,
      eventSource: 'kms.amazonaws.com',
      eventName: 'Decrypt',
      sessionName: f.name,
      roleName: `${f.name}-role`,
      errorCode: 'AccessDeniedException',
    },
  ]);
  const source: TelemetrySource = {
    label: 'memory',
    account: async () => ({ accountId: '1', region: 'us-east-1', recordedAt: NOW }),
    listFunctions: async () => functions,
    listNetworkInterfaces: async () => [],
    describeFlowLogs: async () => [],
    readFlowLog: async function* () {},
    lookupEvents: async function* () {
      yield events;
    },
    getMetrics: async (): Promise<MetricSeries[]> => [],
  };
  const findings = async (accepted?: AcceptedBehaviour) => {
    const r = await scan(source, { baselineDays: 7, detectHours: 24, ...(accepted ? { accepted } : {}) });
    return Object.fromEntries(r.functions.map((f) => [f.name, f.findings.map((x) => `${x.kind} ${x.subject}`).sort()]));
  };

  test('without accepted behaviour every finding is reported', async () => {
    const all = [
      'access-denied kms.amazonaws.com:Decrypt',
      'new-api-call sqs.amazonaws.com:SendMessage',
      'new-api-call sts.amazonaws.com:GetCallerIdentity',
    ];
    assert.deepEqual(await findings(), { alpha: all, beta: all });
  });

  test('accepted findings are filtered, per function or for every function with `*`', async () => {
    const doc = parseAccepted(
      JSON.stringify({
        formatVersion: 1,
        accepted: [
          { function: 'alpha', kind: 'new-api-call', subject: 'sqs.amazonaws.com:SendMessage' },
          { function: '*', kind: 'new-api-call', subject: 'sts.amazonaws.com:GetCallerIdentity' },
          // Same subject, another kind: does not hide the access-denied finding.
          { function: '*', kind: 'new-api-call', subject: 'kms.amazonaws.com:Decrypt' },
        ],
      }),
      FILE,
    );
    assert.deepEqual(await findings(doc), {
      alpha: ['access-denied kms.amazonaws.com:Decrypt'],
      beta: ['access-denied kms.amazonaws.com:Decrypt', 'new-api-call sqs.amazonaws.com:SendMessage'],
    });
  });
});
