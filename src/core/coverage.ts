// Coverage as data: each source's status, error kind and missing IAM action, the words people read, and the one reader every consumer uses.
import {
  COVERAGE_SOURCES,
  type CoverageStatus,
  type CoverageStatusBySource,
  type FunctionReport,
  type SourceCoverage,
  type SourceErrorKind,
} from './model';

/** Every error kind, the most actionable first: when several errors left a source partial, coverage names the first. */
export const ERROR_KINDS: readonly SourceErrorKind[] = [
  'access-denied',
  'expired-credentials',
  'throttled',
  'network',
  'unsupported',
  'malformed',
  'other',
];

/** The word a coverage sentence starts with, per status: format v1's prefixes, which the legacy reader reads back. */
export const COVERAGE_PREFIX: Readonly<Record<CoverageStatus, string>> = {
  complete: 'complete',
  'not-applicable': 'ok',
  'no-data': 'no data',
  partial: 'partial',
  failed: 'failed',
};

const NEEDS = 'access denied: needs ';

/** Statuses that leave nothing to say: the source covered the window (or had nothing to cover). */
export function isCovered(status: CoverageStatus): boolean {
  return status === 'complete' || status === 'not-applicable';
}

/** The sentence for people, built from the status: its word, then what was covered or why not. */
export function coverageSentence(status: CoverageStatus, detail: string): string {
  return `${COVERAGE_PREFIX[status]}: ${detail}`;
}

/** A failed source call as warnings and coverage word it: `access denied: needs logs:StartQuery`, else `<kind>: <message>`. */
export function sourceFailureText(err: { kind: SourceErrorKind; message: string; iamAction?: string }): string {
  return err.kind === 'access-denied' && err.iamAction ? `${NEEDS}${err.iamAction}` : `${err.kind}: ${err.message}`;
}

/** The coverage of a source that an error stopped (`failed`) or cut short (`partial`): the kind, and the IAM action it lacked. */
export function erroredCoverage(status: 'failed' | 'partial', err: { kind: SourceErrorKind; iamAction?: string }): SourceCoverage {
  return { status, errorKind: err.kind, ...(err.kind === 'access-denied' && err.iamAction ? { iamAction: err.iamAction } : {}) };
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
  if (v.startsWith(COVERAGE_PREFIX.complete)) return { status: 'complete' };
  if (v.startsWith(COVERAGE_PREFIX['not-applicable'])) return { status: 'not-applicable' };
  if (v.startsWith(COVERAGE_PREFIX['no-data'])) return { status: 'no-data' };
  const denied = new RegExp(`${NEEDS}([a-z0-9-]+:[A-Za-z0-9]+)`).exec(text ?? '');
  const errorKind = denied ? 'access-denied' : ERROR_KINDS.find((k) => v.includes(`${k}:`));
  const status: CoverageStatus = v.startsWith(COVERAGE_PREFIX.failed) ? 'failed' : 'partial';
  return { status, ...(errorKind ? { errorKind } : {}), ...(denied ? { iamAction: denied[1] } : {}) };
}
