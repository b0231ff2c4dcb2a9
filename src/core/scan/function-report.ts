// The comparison stage: per scanned function, its peers, API calls and metrics against the baseline, as findings and coverage.
import { isAccepted, type AcceptedBehaviour } from '../accepted';
import { findingId, type DraftFinding } from '../detect/draft';
import type { MetricAnalysis } from '../detect/metric-findings';
import { FunctionTrafficBuilder, peerFindings, peerReport, type PeerTraffic } from '../detect/network';
import type { LambdaEni } from '../inventory/enis';
import { awsResource, type PeerIdentity, type PeerNamer } from '../inventory/resources';
import { SEVERITY_RANK, type FlowAggregate, type Finding, type FunctionReport, type LambdaFunction } from '../model';
import type { Windows } from '../scan';
import { apiCallReport, callFindings, type TrailAttributor } from '../trail/calls';
import { functionCoverage, type CoverageEvidence, type PeerCoverage } from './function-coverage';
import { groupBy } from './group-by';
import type { Inventory } from './inventory';

export interface Comparison extends CoverageEvidence {
  inventory: Inventory;
  trail: TrailAttributor;
  windows: Windows;
  detectHours: number;
  accepted?: AcceptedBehaviour;
}

export function functionReports(c: Comparison): FunctionReport[] {
  const rowsByEni = groupBy(c.flows.rows, (r) => r.eniId);
  const unclassified: string[] = [];
  const reports = c.inventory.functions.map((fn) => {
    const lambdaEnis = c.inventory.scannedEnis.filter((l) => l.functions.includes(fn.name));
    return functionReport(fn, {
      lambdaEnis,
      rowsByEni,
      namer: c.inventory.namer,
      trail: c.trail,
      analyses: c.metrics.analyses,
      windows: c.windows,
      detectHours: c.detectHours,
      accepted: c.accepted,
      coverage: (peers) => {
        if (peers.unclassifiedPublic > 0) unclassified.push(fn.name);
        return functionCoverage(fn, lambdaEnis, c, peers);
      },
    });
  });
  if (unclassified.length > 0) c.attempts.warn(noIpRangesWarning(unclassified));
  return reports;
}

/** The report's warning when public peers could not be told from AWS services: which functions it touched. */
function noIpRangesWarning(functions: readonly string[]): string {
  const shown = functions.slice(0, 5).join(', ') + (functions.length > 5 ? ` and ${functions.length - 5} more` : '');
  return (
    `no AWS ip-ranges document: the public peers of ${functions.length} function(s) (${shown}) could not be told from AWS services, ` +
    'and a new address of S3, DynamoDB or another AWS service reads as a new peer'
  );
}

interface FunctionContext {
  lambdaEnis: LambdaEni[];
  rowsByEni: Map<string, FlowAggregate[]>;
  namer: PeerNamer;
  trail: TrailAttributor;
  analyses: Map<string, MetricAnalysis>;
  windows: Windows;
  detectHours: number;
  accepted?: AcceptedBehaviour;
  /** The function's coverage, once its peers say what the network coverage depends on. */
  coverage: (peers: PeerCoverage) => Pick<FunctionReport, 'coverage' | 'coverageStatus'>;
}

function functionReport(fn: LambdaFunction, ctx: FunctionContext): FunctionReport {
  const traffic = new FunctionTrafficBuilder(ctx.windows.baselineStart, ctx.windows.detectStart, (address, recordService) =>
    ctx.namer.service(address, recordService),
  );
  for (const l of ctx.lambdaEnis) for (const row of ctx.rowsByEni.get(l.eni.id) ?? []) traffic.add(row, l.functions);

  const findings: Finding[] = [];
  const addFinding = (d: DraftFinding) => {
    if (isAccepted(ctx.accepted, fn.name, d)) return;
    findings.push({ id: findingId(fn.name, d.kind, d.subject), attribution: d.attribution ?? 'exact', ...d });
  };

  let unclassifiedPublic = 0;
  const peers = [...traffic.peers.values()].map((p) => {
    const identity: PeerIdentity = p.service
      ? { resource: awsResource(p.service), origin: 'aws' }
      : ctx.namer.identify(p.address, Math.max(p.detect.last, p.baseline.last), p.recordService);
    if (identity.origin === 'unclassified-public') unclassifiedPublic++;
    const growth = Math.max(...[...p.candidates].map((c) => invocationGrowth(ctx.analyses.get(c), ctx.detectHours)));
    for (const d of peerFindings(p, identity, ctx.detectHours, growth)) {
      const owner = settleAttribution(p, fn.name, ctx.analyses);
      if (owner.attribution === 'elsewhere') continue;
      addFinding({
        ...d,
        attribution: owner.attribution,
        evidence: { ...d.evidence, ...(owner.candidates ? { candidates: owner.candidates } : {}) },
      });
    }
    return peerReport(p, identity.resource, fn.name);
  });
  const coverage = ctx.coverage({ unclassifiedPublic });

  const calls = ctx.trail.calls(fn.name);
  for (const t of calls) for (const d of callFindings(t)) addFinding(d);
  const analysis = ctx.analyses.get(fn.name);
  for (const d of analysis?.findings ?? []) addFinding(d);

  findings.sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.kind.localeCompare(b.kind) || a.subject.localeCompare(b.subject),
  );
  return {
    name: fn.name,
    arn: fn.arn,
    inVpc: !!fn.vpc,
    runtime: fn.runtime,
    handler: fn.handler,
    role: fn.role,
    tags: fn.tags,
    enis: ctx.lambdaEnis.map((l) => ({
      id: l.eni.id,
      privateIp: l.eni.privateIps[0] ?? '',
      subnetId: l.eni.subnetId,
      securityGroupIds: l.eni.securityGroupIds,
      sharedWith: l.functions.filter((f) => f !== fn.name),
    })),
    // A total order (address, then port and protocol): peers that tie on traffic never take the order their rows came in.
    peers: peers.sort(
      (a, b) =>
        Number(a.inBaseline) - Number(b.inBaseline) ||
        b.flows - a.flows ||
        a.address.localeCompare(b.address) ||
        a.port - b.port ||
        String(a.protocol).localeCompare(String(b.protocol)),
    ),
    apiCalls: calls
      .map(apiCallReport)
      .sort(
        (a, b) =>
          (a.caller === b.caller ? 0 : a.caller === 'function' ? -1 : 1) ||
          Number(a.inBaseline) - Number(b.inBaseline) ||
          b.count - a.count,
      ),
    findings,
    ...(analysis ? { metrics: analysis.summary } : {}),
    coverage: coverage.coverage,
    coverageStatus: coverage.coverageStatus,
  };
}

/** Detection-window invocations against the baseline's daily mean (1 when the metrics cannot say). */
function invocationGrowth(analysis: MetricAnalysis | undefined, detectHours: number): number {
  if (!analysis) return 1;
  const perDay = (analysis.summary.totals.detect.Invocations ?? 0) * (24 / detectHours);
  const usual = analysis.summary.totals.baselineDailyMean.Invocations ?? 0;
  return usual > 0 ? perDay / usual : 1;
}

/**
 * Who owns evidence seen on a peer. Through an ENI of this function alone: exact. Through a shared ENI: if only
 * one candidate was invoked in every hour the traffic flowed, it is that one's (inferred); otherwise it is shared.
 */
function settleAttribution(
  p: PeerTraffic,
  fn: string,
  analyses: Map<string, MetricAnalysis>,
): { attribution: 'exact' | 'shared' | 'inferred' | 'elsewhere'; candidates?: string[] } {
  const candidates = [...p.candidates].sort();
  if (candidates.length === 1 && candidates[0] === fn) return { attribution: 'exact' };
  const hours = [...p.detectHours];
  const active = candidates.filter((c) => {
    const a = analyses.get(c);
    return a !== undefined && a.activeHours.size > 0 && hours.every((h) => a.activeHours.has(h));
  });
  if (active.length === 1 && hours.length > 0)
    return active[0] === fn ? { attribution: 'inferred', candidates } : { attribution: 'elsewhere' };
  return { attribution: 'shared', candidates };
}
