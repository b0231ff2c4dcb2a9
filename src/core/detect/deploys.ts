// Deploy context: a finding that started within a day of a change to its function names the change; one with no change before it says so.
import type { DeployEvidence, EpochMs, Finding, FunctionReport, LambdaFunction } from '../model';
import { toIso } from '../model';
import { HOUR_MS } from '../time';
import { lastModifiedTime, type FunctionChange } from '../trail/function-changes';

/** A behaviour that starts this long after a change is said to follow it. */
export const DEPLOY_WINDOW_MS = 24 * HOUR_MS;

/** LastModified and the CloudTrail event of one change differ by the milliseconds Lambda writes and CloudTrail drops, or a little more. */
const SAME_CHANGE_MS = 60_000;

/**
 * Adds deploy context to every finding whose evidence has a `firstSeen`: the latest change to the function (CloudTrail's
 * event, else ListFunctions' `LastModified`) in the 24 hours before it started, as `evidence.deploy`; when the changes
 * were read and there was none, `noChangeBefore`. The sentence every view shows is built from these (report/presentation.ts). When the changes could not be read
 * (`changes` undefined) and `LastModified` says nothing either, nothing is added: the coverage tells why.
 */
export function addDeployContext(
  reports: readonly FunctionReport[],
  functions: readonly LambdaFunction[],
  changes: ReadonlyMap<string, readonly FunctionChange[]> | undefined,
): void {
  const byName = new Map(functions.map((f) => [f.name, f]));
  for (const report of reports) {
    const fn = byName.get(report.name);
    const candidates = [...(changes?.get(report.name) ?? []).map(fromChange), ...(fn ? lastModified(fn) : [])];
    for (const finding of report.findings) addTo(finding, candidates, changes !== undefined);
  }
}

interface Candidate {
  eventName: string;
  time: EpochMs;
  by?: string;
  eventId?: string;
}

function fromChange(c: FunctionChange): Candidate {
  return { eventName: c.eventName, time: c.time, ...(c.by ? { by: c.by } : {}), eventId: c.eventId };
}

function lastModified(fn: LambdaFunction): Candidate[] {
  const t = lastModifiedTime(fn);
  return t !== undefined ? [{ eventName: 'LastModified', time: t }] : [];
}

function addTo(finding: Finding, candidates: readonly Candidate[], changesRead: boolean): void {
  const started = typeof finding.evidence.firstSeen === 'string' ? Date.parse(finding.evidence.firstSeen) : NaN;
  if (!Number.isFinite(started)) return;
  // The latest change at or before the start. LastModified only when CloudTrail has no event at about that time (the
  // event says who): CloudTrail delivers events minutes late, and a lookup may have failed.
  const before = candidates.filter((c) => c.time <= started && started - c.time <= DEPLOY_WINDOW_MS).sort((a, b) => b.time - a.time);
  const last = before.find(
    (c) => c.eventName !== 'LastModified' || !before.some((o) => o !== c && Math.abs(o.time - c.time) <= SAME_CHANGE_MS),
  );
  if (last) {
    const deploy: DeployEvidence = {
      eventName: last.eventName,
      time: toIso(last.time),
      ...(last.by ? { by: last.by } : {}),
      ...(last.eventId ? { eventId: last.eventId } : {}),
      // Whole minutes elapsed, as a clock reads them: 101.6 minutes is 1 h 41 min.
      minutesBefore: Math.floor((started - last.time) / 60_000),
    };
    finding.evidence.deploy = deploy;
    return;
  }
  if (!changesRead) return;
  finding.evidence.noChangeBefore = true;
}
