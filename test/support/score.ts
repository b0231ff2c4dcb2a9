// Scores a scan report against a scenario's labels, by the rules of the scenario format: same function (or one the
// label also accepts), same subject, an accepted kind. Any finding whose function and subject match no label is a false positive.
import type { ScanReport } from '../../src/core/model';

export interface ScenarioLabel {
  function: string;
  kinds: string[];
  subject: string;
  optional?: boolean;
  alsoAcceptableFunctions?: string[];
  /** Set when only `function` can own the evidence (the others behind the ENI were not running): a finding on them is wrong. */
  strict?: string;
  /** The deploy this anomaly followed (ISO time): the finding that matches should name it. */
  afterDeploy?: string;
}

export interface ScenarioLabels {
  functions: string[];
  anomalies: ScenarioLabel[];
  benign?: Array<{ function: string; note: string }>;
}

/** The deploy a finding says it followed: `finding.evidence.deploy`, which the engine adds (issue 9). */
export interface DeployEvidence {
  eventName: string;
  time: string;
  by: string;
}

export interface Score {
  misses: string[];
  falsePositives: string[];
  found: number;
  required: number;
  /** Labels with `afterDeploy` whose matching finding names that deploy, of all such labels that were found. */
  deployNamed: { named: number; of: number; unnamed: string[] };
}

const PROTOCOLS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };
/** A deploy named in evidence counts when its time is within this of the label's (clocks print seconds or not). */
const DEPLOY_TIME_SLACK_MS = 60_000;

function normalise(subject: string): string {
  const s = subject.trim().toLowerCase();
  const slash = s.lastIndexOf('/');
  if (slash < 0) return s;
  const proto = s.slice(slash + 1);
  return `${s.slice(0, slash)}/${PROTOCOLS[proto] ?? proto}`;
}

interface Found {
  fn: string;
  kind: string;
  subject: string;
  deploy: unknown;
}

/** Functions on which a finding matches the label: for recall, the label's and the ones it also accepts. */
function acceptedFunctions(l: ScenarioLabel): Set<string> {
  return new Set([l.function, ...(l.alsoAcceptableFunctions ?? [])]);
}

/** Functions on which a finding is not a false positive: a strict label's other functions do not count. */
function ownedFunctions(l: ScenarioLabel): Set<string> {
  return l.strict ? new Set([l.function]) : acceptedFunctions(l);
}

function namesDeploy(deploy: unknown, at: string): boolean {
  if (!deploy || typeof deploy !== 'object') return false;
  const d = deploy as Partial<DeployEvidence>;
  const t = Date.parse(String(d.time));
  return (
    typeof d.eventName === 'string' &&
    d.eventName.length > 0 &&
    typeof d.by === 'string' &&
    d.by.length > 0 &&
    Number.isFinite(t) &&
    Math.abs(t - Date.parse(at)) <= DEPLOY_TIME_SLACK_MS
  );
}

export function score(labels: ScenarioLabels, report: ScanReport): Score {
  const findings: Found[] = report.functions.flatMap((f) =>
    f.findings.map((x) => ({ fn: f.name, kind: x.kind, subject: normalise(x.subject), deploy: x.evidence?.deploy })),
  );
  const matches = (l: ScenarioLabel) => (f: Found) =>
    acceptedFunctions(l).has(f.fn) && l.kinds.includes(f.kind) && f.subject === normalise(l.subject);
  const required = labels.anomalies.filter((l) => l.kinds.length > 0 && !l.optional);
  const misses = required.filter((l) => !findings.some(matches(l))).map((l) => `${l.function} ${l.kinds.join('|')} ${l.subject}`);
  const falsePositives = findings
    .filter((f) => !labels.anomalies.some((l) => ownedFunctions(l).has(f.fn) && f.subject === normalise(l.subject)))
    .map((f) => `${f.fn} ${f.kind} ${f.subject}`);

  // The deploy check is its own figure: a finding that does not name its deploy is still found.
  const deployNamed = { named: 0, of: 0, unnamed: [] as string[] };
  for (const l of required) {
    if (!l.afterDeploy) continue;
    const hits = findings.filter(matches(l));
    if (hits.length === 0) continue;
    deployNamed.of++;
    if (hits.some((f) => namesDeploy(f.deploy, l.afterDeploy!))) deployNamed.named++;
    else deployNamed.unnamed.push(`${l.function} ${l.subject} (after the deploy at ${l.afterDeploy})`);
  }
  return { misses, falsePositives, found: required.length - misses.length, required: required.length, deployNamed };
}

/** False positives counted by finding kind, for reports and messages. */
export function countByKind(falsePositives: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fp of falsePositives) {
    const kind = fp.split(' ')[1] ?? '?';
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}
