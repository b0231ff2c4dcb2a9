// Network faults (reset, stalled answers, refused, DNS), Logs Insights queries that time out or are cancelled, and cancellation of in-flight SDK requests, on the real wire.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ScanReport } from '../../src/core/model';
import { SourceError } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { createClients } from '../../src/aws/clients';
import { AwsSource } from '../../src/aws/source';
import { SCAN_ACTIONS, scanThrough, startFaultFixture, TEST_IP_RANGES, type FaultFixture } from '../support/fault-account';
import { motoSkipReason } from '../support/moto';

let f: FaultFixture;
let tenants = 0;
const tenant = (rules: Parameters<FaultFixture['proxy']['tenant']>[1] = []) => f.proxy.tenant(`n${++tenants}`, rules);
const report = (outcome: ScanReport | Error): ScanReport => {
  if (outcome instanceof Error) throw outcome;
  return outcome;
};
const root = path.resolve(__dirname, '..', '..');

describe('network faults, Insights outcomes and in-flight cancellation', { skip: motoSkipReason(), concurrency: 4 }, () => {
  before(async () => {
    f = await startFaultFixture();
  });
  after(async () => {
    await f?.stop();
  });

  const NETWORK: Array<[string, 'network' | 'cloudtrail' | 'metrics']> = [
    ['ec2:DescribeFlowLogs', 'network'],
    ['cloudtrail:LookupEvents', 'cloudtrail'],
    ['cloudwatch:GetMetricData', 'metrics'],
  ];
  for (const [action, source] of NETWORK) {
    for (const fault of ['reset', 'stall'] as const) {
      test(`${fault} on every ${action}: retried, then "failed: network: could not reach ..."`, async () => {
        const t = tenant([{ action, fault }]);
        const { outcome, ms } = await scanThrough(f, t, { maxAttempts: 2, socketMs: 3_000 });
        const r = report(outcome);
        assert.ok(t.count(action) >= 2, `${action} was retried (${t.count(action)} requests)`);
        for (const fn of r.functions) {
          if (source === 'network' && !fn.inVpc) continue;
          assert.match(fn.coverage[source], new RegExp(`^failed: network: could not reach [a-z0-9]+ for ${action}`), fn.coverage[source]);
        }
        assert.ok(ms < 40_000, `${ms} ms`);
      });
    }
  }

  test('reset twice, then answers: the retries hide it', async () => {
    const t = tenant([
      { action: 'cloudwatch:GetMetricData', fault: 'reset', times: 1 },
      { action: 'ec2:DescribeFlowLogs', fault: 'reset', times: 1 },
    ]);
    const r = report((await scanThrough(f, t, { maxAttempts: 3 })).outcome);
    for (const fn of r.functions) assert.doesNotMatch(`${fn.coverage.network} ${fn.coverage.metrics}`, /failed/);
  });

  test('connection refused and DNS failure: the scan fails as a whole, saying it could not reach the endpoint', async () => {
    for (const endpoint of ['http://127.0.0.1:1', 'http://no-such-host.invalid']) {
      const clients = createClients({
        region: 'us-east-1',
        endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
        maxAttempts: 2,
        timeouts: { connectMs: 2_000 },
      });
      const err = await scan(new AwsSource(clients, { ipRanges: { location: TEST_IP_RANGES } }), { baselineDays: 2 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      clients.destroy();
      assert.ok(SourceError.is(err), String(err));
      assert.equal(err.kind, 'network');
      assert.match(err.message, /could not reach sts for sts:GetCallerIdentity/);
    }
  });

  for (const [status, words] of [
    ['Timeout', 'timed out in CloudWatch Logs'],
    ['Cancelled', 'was cancelled \\(not by this scan\\)'],
    ['Running', 'did not complete within 1 s'],
  ] as const) {
    test(`a Logs Insights query that ends ${status}: the raw records answer, coverage says why`, async () => {
      const t = tenant();
      t.insightsStatus = status;
      const r = report((await scanThrough(f, t, { source: { insightsQueryBudgetMs: 1_000 } })).outcome);
      for (const fn of r.functions.filter((x) => x.inVpc)) {
        assert.match(
          fn.coverage.network,
          new RegExp(`^complete: .*read with logs:FilterLogEvents because Logs Insights failed: other: .*${words}`),
          fn.coverage.network,
        );
      }
      assert.ok(t.count('logs:FilterLogEvents') > 0);
      // A query that ended by itself needs no StopQuery; one we gave up on does.
      assert.equal(t.count('logs:StopQuery') > 0, status === 'Running');
    });
  }

  for (const action of SCAN_ACTIONS.filter((a) => a !== 'logs:StopQuery' && a !== 'logs:FilterLogEvents')) {
    test(`cancelled while ${action} is in flight: the request is aborted, the scan rejects with the reason`, async () => {
      const t = tenant([{ action, fault: 'hang' }]);
      const controller = new AbortController();
      const reason = new Error('cancelled by the user');
      let abortedAt = 0;
      t.onRequest = (a) => {
        if (a === action) {
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort(reason);
          }, 50);
        }
      };
      const { outcome } = await scanThrough(f, t, { scan: { signal: controller.signal } });
      assert.equal(outcome, reason);
      assert.ok(Date.now() - abortedAt < 2_000, `rejected ${Date.now() - abortedAt} ms after the abort`);
      // The hung request is closed by the client, not left open until the server gives up.
      const hung = t.calls.find((c) => c.action === action && c.fault === 'hang');
      for (let i = 0; i < 20 && !hung?.abandoned; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(hung?.abandoned, `${action} was aborted on the wire`);
      if (action === 'logs:GetQueryResults') assert.ok(t.count('logs:StopQuery') > 0, 'cancelling stops the query we started');
    });
  }

  test('a process whose live scan was cancelled mid-request exits on its own', async () => {
    const t = tenant([{ action: 'logs:GetQueryResults', fault: 'hang' }]);
    const t0 = Date.now();
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'test', 'support', 'cancel-child.ts'), 'aws', f.proxy.endpoint, '6000'],
        {
          cwd: root,
          env: { ...process.env, LB_ACCESS_KEY_ID: t.credentials.accessKeyId },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('exit', (c) => {
        clearTimeout(killer);
        resolve({ code: c, out: text });
      });
    });
    assert.equal(code, 0, out);
    assert.match(out, /"outcome":"rejected with the reason"/);
    assert.ok(
      t.calls.some((c) => c.action === 'logs:GetQueryResults' && c.abandoned),
      'the in-flight poll was aborted',
    );
    assert.ok(t.count('logs:StopQuery') > 0);
    assert.ok(Date.now() - t0 < 25_000, `${Date.now() - t0} ms`);
  });
});
