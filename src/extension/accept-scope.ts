// Which findings "Accept as normal" can take together: those of one function that started after the same change (deploy). Pure: no vscode, so node --test covers it.
import type { DeployEvidence, Finding, FunctionReport } from '../core/model';
import { deployOf } from '../report/view-model';

/**
 * Two findings followed the same change when CloudTrail's event ids match; without an id on both (a change known only
 * from `LastModified`), when the event name and time do.
 */
export function sameDeploy(a: DeployEvidence, b: DeployEvidence): boolean {
  if (a.eventId && b.eventId) return a.eventId === b.eventId;
  if (a.eventName !== b.eventName) return false;
  const ta = Date.parse(a.time);
  const tb = Date.parse(b.time);
  return Number.isNaN(ta) || Number.isNaN(tb) ? a.time === b.time : ta === tb;
}

export interface DeployGroup {
  deploy: DeployEvidence;
  /** `finding` first, then the function's other findings that followed the same change, in the report's order. */
  findings: Finding[];
}

/** The findings of `fn` that started after the change `finding` started after; undefined when it followed none. */
export function findingsAfterDeploy(fn: Pick<FunctionReport, 'findings'>, finding: Finding): DeployGroup | undefined {
  const deploy = deployOf(finding.evidence);
  if (!deploy) return undefined;
  const others = fn.findings.filter((f) => {
    if (f.id === finding.id) return false;
    const d = deployOf(f.evidence);
    return d !== undefined && sameDeploy(deploy, d);
  });
  return { deploy, findings: [finding, ...others] };
}
