// Faults on the real wire, per API: throttling (ridden out, or "failed: throttled" naming the action), AccessDenied on each API in turn, credentials expiring mid-scan.
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import type { ScanReport } from '../../src/core/model';
import { SourceError } from '../../src/core/ports';
import { SCAN_ACTIONS, scanThrough, startFaultFixture, type FaultFixture } from '../support/fault-account';
import { motoSkipReason } from '../support/moto';

let f: FaultFixture;
let baseline: ScanReport;
let tenants = 0;
const tenant = (rules: Parameters<FaultFixture['proxy']['tenant']>[1] = []) => f.proxy.tenant(`t${++tenants}`, rules);

const report = (outcome: ScanReport | Error): ScanReport => {
  if (outcome instanceof Error) throw outcome;
  return outcome;
};
const coverages = (r: ScanReport) => r.functions.flatMap((fn) => Object.entries(fn.coverage).map(([k, v]) => `${fn.name} ${k}: ${v}`));
/** The source whose coverage a failure of this action shows in, for the actions that have one. */
const COVERAGE_OF: Record<string, 'network' | 'cloudtrail' | 'metrics'> = {
  'ec2:DescribeNetworkInterfaces': 'network',
  'ec2:DescribeFlowLogs': 'network',
  'logs:FilterLogEvents': 'network',
  'cloudtrail:LookupEvents': 'cloudtrail',
  'cloudwatch:GetMetricData': 'metrics',
};
const WHOLE_SCAN = new Set(['sts:GetCallerIdentity', 'lambda:ListFunctions']);
/** The Logs Insights estimate (logs:DescribeLogGroups) not to be had: a notice says why, naming the action, and the queries still ran. */
function assertNoEstimate(notices: string[], why: string, queries: number): void {
  assert.ok(
    notices.some((n) => n.includes('no estimate of the bytes to scan') && n.includes(why) && n.includes('logs:DescribeLogGroups')),
    notices.join('\n'),
  );
  assert.ok(!notices.some((n) => /about .* to scan/.test(n)), `no estimate is given: ${notices.join('\n')}`);
  assert.ok(queries > 0, 'Logs Insights still ran');
}

describe('faults per API against moto_server behind a fault proxy', { skip: motoSkipReason(), concurrency: 6 }, () => {
  before(async () => {
    f = await startFaultFixture();
    baseline = report((await scanThrough(f, tenant())).outcome);
    assert.ok(
      coverages(baseline).every((c) => !/failed/.test(c)),
      coverages(baseline).join('\n'),
    );
  });
  after(async () => {
    await f?.stop();
  });

  for (const action of SCAN_ACTIONS) {
    test(`throttled twice on ${action}: the adaptive retries ride it out, nothing is missing`, async () => {
      const t = tenant([{ action, fault: 'throttle', times: 2 }]);
      if (action === 'logs:FilterLogEvents') t.rules.unshift({ action: 'logs:StartQuery', fault: 'denied' });
      const { outcome } = await scanThrough(f, t, { maxAttempts: 3 });
      const r = report(outcome);
      if (t.count(action) === 0) assert.equal(action, 'logs:StopQuery', 'only StopQuery is not sent by a clean scan');
      else
        assert.ok(
          t.calls.some((c) => c.action === action && c.fault === 'throttle'),
          `${action} was throttled`,
        );
      assert.deepEqual(r.functions.map((fn) => fn.name).sort(), baseline.functions.map((fn) => fn.name).sort());
      for (const c of coverages(r)) assert.doesNotMatch(c, /: failed|throttled/);
    });

    test(`throttled past the retries on ${action}: "failed: throttled" naming it, or the scan fails saying so`, async () => {
      const t = tenant([{ action, fault: 'throttle' }]);
      if (action === 'logs:FilterLogEvents') t.rules.unshift({ action: 'logs:StartQuery', fault: 'denied' });
      if (action === 'logs:StopQuery') t.insightsStatus = 'Running';
      const { outcome, notices } = await scanThrough(f, t, { source: { insightsQueryBudgetMs: 1_000 } });
      if (WHOLE_SCAN.has(action)) {
        assert.ok(SourceError.is(outcome), String(outcome));
        assert.equal(outcome.kind, 'throttled');
        assert.match(outcome.message, new RegExp(action));
        return;
      }
      const r = report(outcome);
      const source = COVERAGE_OF[action];
      for (const fn of r.functions) {
        if (source === 'network' && !fn.inVpc) continue;
        if (source)
          assert.match(
            fn.coverage[source],
            new RegExp(`^(failed|partial): .*throttled: ${action} was throttled after retries`),
            `${fn.name}: ${fn.coverage[source]}`,
          );
      }
      if (action === 'lambda:ListTags')
        assert.ok(
          r.warnings.some((w) => /tags not read \(throttled: lambda:ListTags/.test(w)),
          r.warnings.join('\n'),
        );
      if (action === 'logs:StartQuery' || action === 'logs:GetQueryResults') {
        // Logs Insights gave up: the raw records answer, and coverage says how they were read.
        const vpc = r.functions.filter((fn) => fn.inVpc);
        for (const fn of vpc)
          assert.match(
            fn.coverage.network,
            new RegExp(`^complete: .*read with logs:FilterLogEvents because Logs Insights failed: throttled: ${action}`),
          );
        assert.ok(t.count('logs:FilterLogEvents') > 0);
      }
      if (action === 'logs:GetQueryResults') assert.ok(t.count('logs:StopQuery') > 0, 'the query we started is stopped');
      if (action === 'logs:DescribeLogGroups') assertNoEstimate(notices, 'throttled', t.count('logs:StartQuery'));
      if (action === 'logs:StopQuery')
        assert.ok(t.count('logs:StopQuery') > 0 && notices.some((n) => /did not complete/.test(n)), notices.join('\n'));
      for (const c of coverages(r)) if (source && c.includes(` ${source}: `)) assert.doesNotMatch(c, /^[^:]+: complete/);
    });

    test(`AccessDenied on ${action}: the rest still answers, coverage names ${action}`, async () => {
      const t = tenant([{ action, fault: 'denied' }]);
      if (action === 'logs:FilterLogEvents') t.rules.unshift({ action: 'logs:StartQuery', fault: 'denied' });
      if (action === 'logs:StopQuery') t.insightsStatus = 'Running';
      const { outcome, notices } = await scanThrough(f, t, { source: { insightsQueryBudgetMs: 1_000 } });
      if (WHOLE_SCAN.has(action)) {
        assert.ok(SourceError.is(outcome), String(outcome));
        assert.equal(outcome.kind, 'access-denied');
        assert.equal(outcome.iamAction, action);
        return;
      }
      const r = report(outcome);
      assert.equal(r.functions.length, baseline.functions.length);
      const source = COVERAGE_OF[action];
      for (const fn of r.functions) {
        if (source && !(source === 'network' && !fn.inVpc)) {
          const want =
            action === 'logs:FilterLogEvents'
              ? `^partial: flow log fl-[0-9a-f]+: access denied: needs ${action}`
              : `^failed: access denied: needs ${action}$`;
          assert.match(fn.coverage[source], new RegExp(want), `${fn.name}: ${fn.coverage[source]}`);
        }
        // The other sources still answer.
        for (const other of ['network', 'cloudtrail', 'metrics'] as const) {
          if (other !== source) assert.doesNotMatch(fn.coverage[other], /^failed/, `${fn.name} ${other}: ${fn.coverage[other]}`);
        }
      }
      if (action === 'lambda:ListTags') {
        assert.ok(
          r.warnings.some((w) => w.includes('access denied: needs lambda:ListTags')),
          r.warnings.join('\n'),
        );
        assert.ok(r.functions.every((fn) => Object.keys(fn.tags ?? {}).length === 0));
      }
      if (action === 'logs:StartQuery' || action === 'logs:GetQueryResults') {
        for (const fn of r.functions.filter((x) => x.inVpc)) {
          assert.match(
            fn.coverage.network,
            new RegExp(`^complete: .*read with logs:FilterLogEvents because Logs Insights failed: access denied: needs ${action}`),
          );
        }
        assert.ok(r.warnings.some((w) => w.includes(`access denied: needs ${action}`)));
      }
      if (action === 'logs:DescribeLogGroups') assertNoEstimate(notices, 'access denied', t.count('logs:StartQuery'));
      if (action === 'logs:StartQuery')
        assert.equal(t.count('logs:StartQuery'), 1, 'once denied, Logs Insights is not asked again for the next flow log or batch');
      if (action === 'logs:GetQueryResults') assert.ok(t.count('logs:StopQuery') > 0, 'the query we started is stopped');
    });
  }

  for (const okCalls of [0, 2, 5, 9, 13, 16, 19]) {
    test(`credentials expire after ${okCalls} calls: every source read after the expiry says expired-credentials, none half-read is complete`, async () => {
      const t = tenant([{ action: '*', fault: 'expired', after: okCalls }]);
      t.trailPages = 2;
      const { outcome } = await scanThrough(f, t);
      const expiredAt = t.calls.findIndex((c) => c.fault === 'expired');
      assert.ok(expiredAt >= 0);
      const before = new Set(t.calls.slice(0, expiredAt).map((c) => c.action));
      if (outcome instanceof Error) {
        assert.ok(SourceError.is(outcome), String(outcome));
        assert.equal(outcome.kind, 'expired-credentials');
        assert.match(outcome.message, /expired/);
        assert.ok(!before.has('lambda:ListFunctions') || !before.has('sts:GetCallerIdentity'));
        return;
      }
      // Sources whose calls all came before the expiry may be complete; any other must say expired.
      const readAfter = new Set(t.calls.slice(expiredAt).map((c) => c.action));
      const r = outcome;
      for (const fn of r.functions) {
        if (readAfter.has('cloudtrail:LookupEvents')) assert.match(fn.coverage.cloudtrail, /^failed: expired-credentials/);
        if (readAfter.has('cloudwatch:GetMetricData')) assert.match(fn.coverage.metrics, /^failed: expired-credentials/);
        if (
          fn.inVpc &&
          ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeFlowLogs', 'logs:StartQuery', 'logs:GetQueryResults', 'logs:FilterLogEvents'].some(
            (a) => readAfter.has(a),
          )
        ) {
          assert.match(fn.coverage.network, /^(failed|partial): .*expired-credentials/, fn.coverage.network);
        }
      }
      assert.ok(
        r.warnings.some((w) => /expired-credentials/.test(w)),
        `${r.warnings.join('\n')}\n${t.calls.map((c) => `${c.action} ${c.fault ?? ''}`).join('\n')}`,
      );
    });
  }
});
