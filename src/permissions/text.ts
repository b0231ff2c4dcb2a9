// The permissions report for a terminal: per function, used (and which statement grants it), unused, denied, and the proposals.
import { sanitizeForTerminal } from '../report/escape';
import type {
  ConditionNote,
  FunctionPermissions,
  PermissionsReport,
  ProposedEgressRule,
  SecurityGroupEgressRule,
  StatementRef,
  Verdict,
} from './model';

/** At most this many unused actions are printed per pattern; `--format json` has the listed ones, and the count. */
const UNUSED_SHOWN = 8;

const VERDICT_TEXT: Record<Verdict, string> = {
  allowed: 'allowed',
  'allowed-if-conditions': 'allowed if conditions hold (not evaluated)',
  denied: 'explicitly denied',
  'not-granted': 'not granted',
};

export function statementText(ref: StatementRef): string {
  const policy = ref.policyKind === 'managed' ? `managed ${ref.policyName}` : `inline ${ref.policyName}`;
  return `${policy} #${ref.index + 1}${ref.sid ? ` (${ref.sid})` : ''}`;
}

const conditionText = (c: ConditionNote) => `${c.operator} ${c.key} ${c.values.join('|')}`;

function destinationText(d: ProposedEgressRule['destination']): string {
  if (d.kind === 'cidr') return d.cidr;
  if (d.kind === 'prefix-list') return `prefix list ${d.prefixListId ?? d.name}${d.prefixListId ? ` (${d.name})` : ''}`;
  return `AWS ${d.service} (${d.region}): no managed prefix list`;
}

function ruleText(r: SecurityGroupEgressRule): string {
  const d = r.destination;
  const to = d.kind === 'cidr' ? d.cidr : d.kind === 'prefix-list' ? (d.name ?? d.prefixListId) : d.groupId;
  const ports =
    r.protocol === '-1'
      ? 'all traffic'
      : r.fromPort === r.toPort
        ? `${r.fromPort}/${r.protocol}`
        : `${r.fromPort}-${r.toPort}/${r.protocol}`;
  return `${r.groupId}: ${ports} to ${to}`;
}

function functionText(f: FunctionPermissions): string[] {
  const lines: string[] = [
    `${f.function}  role ${f.roleName ?? '(none)'}${f.roleFunctions.length > 1 ? `  (shared by ${f.roleFunctions.join(', ')}: judged on what all of them used)` : ''}`,
  ];
  if (f.roleFailure) lines.push(`  role policies not read: ${f.roleFailure.message}`);
  else {
    lines.push(
      `  policies: ${f.policies.map((p) => (p.kind === 'managed' ? `${p.name} (managed, ${p.versionId})` : `${p.name} (inline)`)).join(', ') || 'none'}`,
    );
    const used = f.used.filter((u) => !u.deniedInTrail);
    lines.push(`  used (${used.length}):`);
    for (const u of used) {
      const by = u.grantedBy.length ? ` by ${u.grantedBy.map(statementText).join(', ')}` : '';
      const who = u.caller === 'lambda-service' ? ' [Lambda service]' : '';
      const fresh = u.newInDetection ? ' [new in detection window]' : '';
      lines.push(`    ${u.action}${who}${fresh}: ${VERDICT_TEXT[u.verdict]}${by}`);
      for (const c of u.conditions) lines.push(`      condition not evaluated: ${conditionText(c)} (${statementText(c.statement)})`);
    }
    const denied = f.used.filter((u) => u.deniedInTrail || u.verdict === 'denied' || u.verdict === 'not-granted');
    if (denied.length) {
      lines.push(`  denied (${denied.length}):`);
      for (const u of denied)
        lines.push(
          `    ${u.action}: ${u.deniedInTrail ? 'denied when called' : 'called'}; policies: ${VERDICT_TEXT[u.verdict]}${u.deniedBy.length ? ` by ${u.deniedBy.map(statementText).join(', ')}` : ''}`,
        );
    }
    if (f.unmapped.length) {
      lines.push('  calls with no IAM action in the data:');
      for (const u of f.unmapped) lines.push(`    ${u.eventSource}:${u.eventName}: ${u.reason}`);
    }
    const unusedTotal = f.unused.reduce((n, g) => n + g.unusedCount, 0);
    lines.push(`  granted, never used (${unusedTotal}):`);
    for (const g of f.unused) {
      const shown = g.unused.slice(0, UNUSED_SHOWN).join(', ');
      const more = g.unusedCount > UNUSED_SHOWN ? `, ... (${g.unusedCount} in all)` : '';
      lines.push(`    ${g.pattern} (${statementText(g.statement)}${g.conditional ? ', conditional' : ''}): ${shown}${more}`);
    }
  }
  lines.push('  proposed policy:');
  for (const l of JSON.stringify(f.proposal.document, null, 2).split('\n')) lines.push(`    ${l}`);
  for (const n of f.proposal.notes) lines.push(`    note: ${n}`);
  if (f.networkFailure) lines.push(`  security groups not read: ${f.networkFailure.message}`);
  if (f.network) {
    lines.push(`  egress now (${f.network.securityGroupIds.join(', ')}):`);
    for (const c of f.network.current)
      lines.push(`    ${ruleText(c.rule)}: ${c.usedBy.length ? `used by ${c.usedBy.join(', ')}` : 'no peer seen'}`);
    lines.push('  proposed egress:');
    for (const r of f.network.proposed) {
      lines.push(
        `    ${r.port}/${r.protocol} to ${destinationText(r.destination)}${r.allowedNow ? '' : '  [not allowed now]'}  (${r.peers.join(', ')})`,
      );
    }
    for (const n of f.network.notes) lines.push(`    note: ${n}`);
  }
  for (const n of f.notes) lines.push(`  note: ${n}`);
  return lines;
}

export function renderPermissionsText(report: PermissionsReport): string {
  const lines = [
    `Permissions of ${report.functions.length} function(s) in ${report.accountId} ${report.region}, calls from ${report.window.baselineStart} to ${report.window.detectEnd}`,
    '',
  ];
  for (const f of report.functions) lines.push(...functionText(f), '');
  lines.push('Not judged:');
  for (const l of report.limits) lines.push(`  - ${l}`);
  // Names, ARNs and policy text come from the account: no terminal control sequences from them.
  return lines.map((l) => sanitizeForTerminal(l)).join('\n') + '\n';
}
