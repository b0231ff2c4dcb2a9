// What each source covered of one function: one decision per source, giving both the status as data and the sentence for people.
import { coverageSentence, erroredCoverage, ERROR_KINDS } from '../coverage';
import type { LambdaEni } from '../inventory/enis';
import { toIso, type Coverage, type CoverageStatusBySource, type FlowLogConfig, type LambdaFunction, type SourceCoverage } from '../model';
import type { Windows } from '../scan';
import { SOURCE_CALLS, type SourceAttempts, type SourceFailure } from './attempts';
import type { FlowLogReading } from './flow-logs';
import type { MetricsReading } from './metrics';
import type { TrailAttributor } from '../trail/calls';

/** What the stages read, as far as coverage is concerned. */
export interface CoverageEvidence {
  attempts: SourceAttempts;
  flows: FlowLogReading;
  metrics: MetricsReading;
  /** Where the calls were read from, when not from LookupEvents (absent: LookupEvents). */
  trail?: Pick<TrailAttributor, 'readFrom'>;
  /** The windows, to tell an ENI that appeared inside them (absent: not judged). */
  windows?: Pick<Windows, 'baselineStart' | 'detectStart' | 'detectEnd'>;
}

/** What the function's peers tell about the network coverage. */
export interface PeerCoverage {
  /** Public peers that no ip-ranges document could tell from AWS services. */
  unclassifiedPublic: number;
}

/** The gap those peers leave, said in the function's network coverage. */
export const NO_IP_RANGES_COVERAGE = 'no AWS ip-ranges document: public addresses could not be told from AWS services';

export interface FunctionCoverage {
  coverage: Coverage;
  coverageStatus: CoverageStatusBySource;
}

interface Decision {
  status: SourceCoverage;
  sentence: string;
}

/** The coverage of `fn`, whose Lambda ENIs (among the scanned ones) are `enis`. */
export function functionCoverage(
  fn: LambdaFunction,
  enis: readonly LambdaEni[],
  evidence: CoverageEvidence,
  peers: PeerCoverage = { unclassifiedPublic: 0 },
): FunctionCoverage {
  const network = networkCoverage(fn, enis, evidence, peers);
  const cloudtrail = cloudTrailCoverage(evidence);
  const metrics = metricsCoverage(fn, evidence);
  return {
    coverage: { network: network.sentence, cloudtrail: cloudtrail.sentence, metrics: metrics.sentence },
    coverageStatus: { network: network.status, cloudtrail: cloudtrail.status, metrics: metrics.status },
  };
}

function decided(status: SourceCoverage, detail: string): Decision {
  return { status, sentence: coverageSentence(status.status, detail) };
}

function failedOn(failure: SourceFailure): Decision {
  return decided(erroredCoverage('failed', failure), failure.text);
}

function networkCoverage(fn: LambdaFunction, enis: readonly LambdaEni[], evidence: CoverageEvidence, peers: PeerCoverage): Decision {
  const { attempts, flows } = evidence;
  if (!fn.vpc) return decided({ status: 'not-applicable' }, 'not in a VPC (Lambda runs it on its own network, which has no flow logs)');
  const enisFailure = attempts.failureOf(SOURCE_CALLS.networkInterfaces);
  if (enisFailure) return failedOn(enisFailure);
  // Nothing could be read for it, yet EC2 answered: a gap (partial), worded as format v1 always has, without a prefix.
  if (enis.length === 0)
    return {
      status: { status: 'partial' },
      sentence: 'no Lambda ENI found for this function: it has a VPC configuration but EC2 lists no ENI for it',
    };
  const flowLogsFailure = attempts.failureOf(SOURCE_CALLS.flowLogs);
  if (flowLogsFailure) return failedOn(flowLogsFailure);
  const { assignment, problems, notes } = flows;
  const uncovered = enis.filter((l) => !assignment.byEni.has(l.eni.id)).map((l) => l.eni.id);
  const used = [...new Set(enis.map((l) => assignment.byEni.get(l.eni.id)).filter((f): f is FlowLogConfig => !!f))];
  const readProblems = used.flatMap((f) => problems.get(f.id) ?? []);
  const issues = [
    ...readProblems.map((p) => p.text),
    ...used.filter((f) => f.trafficType && f.trafficType !== 'ALL').map((f) => `flow log ${f.id} records only ${f.trafficType} traffic`),
    ...(uncovered.length ? [`no flow log covers ${uncovered.join(', ')}`] : []),
  ];
  const appeared = appearedUnpreceded(enis, evidence.windows);
  const historyFailure = attempts.failureOf(SOURCE_CALLS.eniEvents);
  if (appeared) {
    const where = evidence.windows && appeared.created! >= evidence.windows.detectStart ? 'detection window' : 'baseline';
    issues.push(
      `ENI ${appeared.eni.id} appeared at ${toIso(appeared.created!)}, inside the ${where}: the function's traffic before then was on an ENI that ` +
        `neither EC2 nor CloudTrail's ENI history knows${historyFailure ? ` (ENI history not read: ${historyFailure.text})` : ''}`,
    );
  }
  // The records were read, but what they reached could not all be named: a new S3 address reads as a new peer.
  const unnamed = peers.unclassifiedPublic > 0 ? NO_IP_RANGES_COVERAGE : undefined;
  if (issues.length) {
    const failure = mostActionable([
      ...readProblems.flatMap((p) => p.failure ?? []),
      ...(appeared && historyFailure ? [historyFailure] : []),
    ]);
    return decided(
      failure ? erroredCoverage('partial', failure) : { status: 'partial' },
      [...issues, ...(unnamed ? [unnamed] : [])].join('; '),
    );
  }
  const note = (f: FlowLogConfig) => (notes.has(f.id) ? `, ${notes.get(f.id)}` : '');
  const gone = enis.filter((l) => l.attributedBy);
  const history = gone.length ? ` (${gone.map((l) => `${l.eni.id} no longer exists, tied by ${l.attributedBy}`).join('; ')})` : '';
  const read = `${enis.length} ENI(s) through flow log ${used.map((f) => `${f.id} (${f.logGroupName ?? f.destinationType}${note(f)})`).join(', ')}${history}`;
  // Everything was read: the gap is in the naming alone, and what was read is still worth saying.
  if (unnamed) return decided({ status: 'partial' }, `${unnamed}; ${read}`);
  return decided({ status: 'complete' }, read);
}

/**
 * A current ENI of the function that appeared inside the windows with no ENI of the function known from before it:
 * Lambda replaced an ENI that nothing remembers, and the traffic on it is missing from the baseline.
 */
function appearedUnpreceded(enis: readonly LambdaEni[], windows: CoverageEvidence['windows']): LambdaEni | undefined {
  if (!windows) return undefined;
  const current = enis.filter(
    (l) => !l.attributedBy && l.created !== undefined && l.created > windows.baselineStart && l.created < windows.detectEnd,
  );
  return current
    .sort((a, b) => a.created! - b.created!)
    .find(
      (l) =>
        !enis.some(
          (o) =>
            o !== l &&
            (o.created === undefined || o.created < l.created!) &&
            (o.deleted === undefined || o.deleted > windows.baselineStart),
        ),
    );
}

function cloudTrailCoverage({ attempts, trail }: CoverageEvidence): Decision {
  const failure = attempts.failureOf(SOURCE_CALLS.cloudTrail);
  if (failure) return failedOn(failure);
  // Lake and Athena hold what the trail logs (data events too, when it logs them); LookupEvents never has data events.
  const calls = trail?.readFrom
    ? `the calls of the function's role session, from ${trail.readFrom}`
    : "management events by the function's role session (data events such as S3 GetObject are not in LookupEvents)";
  // Without the function's changes, no finding can say whether a deploy came before it: said here, once.
  const changes = attempts.failureOf(SOURCE_CALLS.functionChanges);
  if (changes)
    return decided(
      erroredCoverage('partial', changes),
      `${calls}; the function's code and configuration changes were not read (${changes.text}): findings do not say whether a deploy preceded them`,
    );
  return decided({ status: 'complete' }, calls);
}

function metricsCoverage(fn: LambdaFunction, { attempts, metrics }: CoverageEvidence): Decision {
  const failure = attempts.failureOf(SOURCE_CALLS.metrics);
  if (failure) return failedOn(failure);
  if (metrics.withData.has(fn.name))
    return decided({ status: 'complete' }, 'hourly Invocations, Errors, Throttles, Duration, ConcurrentExecutions');
  return decided({ status: 'no-data' }, 'the function was not invoked in the windows');
}

/** Of several failures behind one source's gaps, the one to act on first (missing permissions before throttling). */
function mostActionable(failures: readonly SourceFailure[]): SourceFailure | undefined {
  const rank = (f: SourceFailure) => ERROR_KINDS.indexOf(f.kind);
  return failures.reduce<SourceFailure | undefined>((best, f) => (best === undefined || rank(f) < rank(best) ? f : best), undefined);
}
