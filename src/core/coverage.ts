// Coverage as data: each source's status, error kind and missing IAM action, and the one reader every consumer uses.
import {
  COVERAGE_SOURCES,
  type CoverageStatus,
  type CoverageStatusBySource,
  type FunctionReport,
  type SourceCoverage,
  type SourceErrorKind,
} from './model';

const ERROR_KINDS: readonly SourceErrorKind[] = ['access-denied', 'expired-credentials', 'throttled', 'network', 'unsupported', 'malformed', 'other'];

/** Statuses that leave nothing to say: the source covered the window (or had nothing to cover). */
export function isCovered(status: CoverageStatus): boolean {
  return status === 'complete' || status === 'not-applicable';
}

/**
 * The structured coverage of a function. Reports written before `coverageStatus` existed (saved scans, exported JSON)
 * have only the sentences: this is the one place that reads them, by the prefix the engine always wrote.
 */
export function coverageStatusOf(fn: Pick<FunctionReport, 'coverage' | 'coverageStatus'>): CoverageStatusBySource {
  if (fn.coverageStatus) return fn.coverageStatus;
  const out = {} as CoverageStatusBySource;
  for (const source of COVERAGE_SOURCES) out[source] = legacyCoverage(fn.coverage?.[source]);
  return out;
}

function legacyCoverage(text: string | undefined): SourceCoverage {
  const v = (text ?? '').trimStart().toLowerCase();
  if (v.startsWith('complete')) return { status: 'complete' };
  if (v.startsWith('ok')) return { status: 'not-applicable' };
  if (v.startsWith('no data')) return { status: 'no-data' };
  const denied = /access denied: needs ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(text ?? '');
  const errorKind = denied ? 'access-denied' : ERROR_KINDS.find((k) => v.includes(`${k}:`));
  const status: CoverageStatus = v.startsWith('failed') ? 'failed' : 'partial';
  return { status, ...(errorKind ? { errorKind } : {}), ...(denied ? { iamAction: denied[1] } : {}) };
}
