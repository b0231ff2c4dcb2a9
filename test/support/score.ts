// Scores a scan report against a scenario's labels, by the rules of the scenario format: same function (or one the
// label also accepts), same subject, an accepted kind. Any finding whose function and subject match no label is a false positive.
import type { ScanReport } from '../../src/core/model';

export interface ScenarioLabels {
  functions: string[];
  anomalies: Array<{ function: string; kinds: string[]; subject: string; optional?: boolean; alsoAcceptableFunctions?: string[] }>;
  benign?: Array<{ function: string; note: string }>;
}

export interface Score {
  misses: string[];
  falsePositives: string[];
  found: number;
  required: number;
}

const PROTOCOLS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };

function normalise(subject: string): string {
  const s = subject.trim().toLowerCase();
  const slash = s.lastIndexOf('/');
  if (slash < 0) return s;
  const proto = s.slice(slash + 1);
  return `${s.slice(0, slash)}/${PROTOCOLS[proto] ?? proto}`;
}

export function score(labels: ScenarioLabels, report: ScanReport): Score {
  const findings = report.functions.flatMap((f) => f.findings.map((x) => ({ fn: f.name, kind: x.kind, subject: normalise(x.subject) })));
  const fnsOf = (l: ScenarioLabels['anomalies'][number]) => new Set([l.function, ...(l.alsoAcceptableFunctions ?? [])]);
  const required = labels.anomalies.filter((l) => l.kinds.length > 0 && !l.optional);
  const misses = required
    .filter((l) => !findings.some((f) => fnsOf(l).has(f.fn) && l.kinds.includes(f.kind) && f.subject === normalise(l.subject)))
    .map((l) => `${l.function} ${l.kinds.join('|')} ${l.subject}`);
  const falsePositives = findings
    .filter((f) => !labels.anomalies.some((l) => fnsOf(l).has(f.fn) && f.subject === normalise(l.subject)))
    .map((f) => `${f.fn} ${f.kind} ${f.subject}`);
  return { misses, falsePositives, found: required.length - misses.length, required: required.length };
}
