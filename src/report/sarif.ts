// SARIF 2.1.0 output: one run, one rule per finding kind, one result per finding, located at the function.
import type { Location, Log, ReportingDescriptor, Result, Run } from 'sarif';
import type { Finding, FindingKind, FunctionReport, ScanReport } from '../core/model';
import type { FunctionPermissions, PermissionsReport, UnusedGrant } from '../permissions/model';
import { statementText } from '../permissions/text';
import { deploySentence } from './presentation';
import { knownSeverity, sortFindings } from './view-model';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const TOOL_NAME = 'lambda-behavior';

/** Bump when the id's meaning changes, so code-scanning services do not match old alerts to new ones. */
const FINGERPRINT_KEY = 'lambdaBehaviorFindingId/v1';

interface RuleText {
  name: string;
  short: string;
  full: string;
  help: string;
  tags: string[];
}

/**
 * Every kind has a rule even when no finding uses it, so a rule's index is the same in every log and
 * a consumer can list what the tool checks.
 */
const RULES: Record<FindingKind, RuleText> = {
  'new-peer': {
    name: 'NewNetworkPeer',
    short: 'The function reached a network peer it never reached in the baseline.',
    full: 'VPC flow logs show connections from the function to an address, port and protocol that did not appear during the baseline window.',
    help: 'Check whether the new destination is expected (a new dependency, a deployment) or a sign of compromise or misconfiguration; tighten the security group egress rules if it is not needed.',
    tags: ['security', 'network', 'behaviour-change'],
  },
  'rejected-traffic': {
    name: 'RejectedTraffic',
    short: "The function's connections to a peer were rejected.",
    full: "VPC flow logs recorded REJECT for traffic from the function's network interfaces to a peer during the detection window.",
    help: 'Rejected connections usually mean a missing security group or network ACL rule, or code trying to reach something it should not. Check which it is.',
    tags: ['security', 'network', 'reliability'],
  },
  'traffic-spike': {
    name: 'TrafficSpike',
    short: 'Traffic to a known peer far above its baseline.',
    full: 'The bytes sent to or received from a peer the function already used are far above what the baseline window showed.',
    help: 'A sudden increase can be data exfiltration, a retry storm or a legitimate change in load; compare it with invocations and recent deployments.',
    tags: ['security', 'network', 'anomaly'],
  },
  'new-api-call': {
    name: 'NewApiCall',
    short: "The function's code made an AWS API call it never made in the baseline.",
    full: "CloudTrail shows the function's code, through its execution role, calling an AWS API action that it did not call during the baseline window.",
    help: 'Check that the call is expected; if it is, consider whether the execution role grants more than the function needs.',
    tags: ['security', 'iam', 'behaviour-change'],
  },
  'access-denied': {
    name: 'AccessDenied',
    short: "The function's code was denied an AWS API call.",
    full: "CloudTrail recorded an AccessDenied (or similar) error for an AWS API call made by the function's code with its execution role.",
    help: 'Either the role is missing a permission the function needs, or the code attempted something it is not meant to do. The event ids in the evidence lead to the CloudTrail records.',
    tags: ['security', 'iam', 'reliability'],
  },
  'invocation-spike': {
    name: 'InvocationSpike',
    short: 'Invocations far above the baseline for that time of day.',
    full: 'CloudWatch Invocations for the function are far above the band expected from the baseline at the same time of day.',
    help: 'Look for a change in the event source (a queue backlog, a retry loop, a new caller) or abuse of a public trigger.',
    tags: ['reliability', 'cost', 'anomaly'],
  },
  'error-spike': {
    name: 'ErrorSpike',
    short: 'Error rate far above the baseline.',
    full: "The function's CloudWatch Errors relative to its invocations are far above the baseline's rate.",
    help: "Check the function's logs for the failures around the first-seen time and any deployment that preceded them.",
    tags: ['reliability', 'anomaly'],
  },
  'throttle-spike': {
    name: 'ThrottleSpike',
    short: 'Throttles far above the baseline.',
    full: "The function's CloudWatch Throttles are far above the baseline: invocations are being refused for lack of concurrency.",
    help: 'Review reserved and account concurrency, and whatever drove the increase in invocations.',
    tags: ['reliability', 'anomaly'],
  },
};

const KINDS = Object.keys(RULES) as FindingKind[];

export function sarifRules(): ReportingDescriptor[] {
  return KINDS.map((kind) => {
    const r = RULES[kind];
    return {
      id: kind,
      name: r.name,
      shortDescription: { text: r.short },
      fullDescription: { text: r.full },
      help: { text: r.help },
      defaultConfiguration: { level: 'warning' },
      properties: { tags: r.tags },
    };
  });
}

export function sarifLevel(severity: string): Result.level {
  switch (knownSeverity(severity)) {
    case 'high':
      return 'error';
    case 'medium':
      return 'warning';
    case 'low':
      return 'note';
    default:
      return 'none';
  }
}

/**
 * Where a finding is. Today the deployed function (a logical location: SARIF's way of naming something
 * that is not a file). Once the extension maps a function to its source (`fn.handler` plus a template
 * or a bundle), a `physicalLocation` with that file belongs in this same location object; code-scanning
 * services need one to show the result in a diff.
 */
export function sarifLocations(fn: FunctionReport): Location[] {
  return [
    {
      logicalLocations: [{ name: fn.name, fullyQualifiedName: fn.arn, kind: 'function' }],
    },
  ];
}

/**
 * SARIF message text is plain text in which `[text](target)` is an embedded link (§3.11.6: the target may be a URI),
 * and viewers render it as one. Literal brackets, and the backslashes that escape them, are escaped, so that a
 * resource name like `[x](command:...)` from an account stays text.
 */
export function sarifText(text: string): string {
  return text.replace(/[\\[\]]/g, (ch) => `\\${ch}`);
}

export function sarifResult(fn: FunctionReport, finding: Finding, ruleIndex: number): Result {
  const e = finding.evidence ?? {};
  const result: Result = {
    ruleId: finding.kind,
    level: sarifLevel(finding.severity),
    message: { text: sarifText([finding.title, finding.detail, deploySentence(e)].filter(Boolean).join('\n')) },
    locations: sarifLocations(fn),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.id },
    properties: {
      findingId: finding.id,
      subject: finding.subject,
      severity: finding.severity,
      attribution: finding.attribution,
      ...(finding.recommendation ? { recommendation: finding.recommendation } : {}),
      evidence: e,
    },
  };
  if (ruleIndex >= 0) result.ruleIndex = ruleIndex;
  return result;
}

// ---------------------------------------------------------------- unused grants (when permissions were analysed)

export const UNUSED_GRANT_RULE_ID = 'unused-grant';
const GRANT_FINGERPRINT_KEY = 'lambdaBehaviorUnusedGrant/v1';
/** Unused actions named in a result's message; the properties have every listed one and the count. */
const UNUSED_IN_MESSAGE = 5;

/** Only in a log with permissions: a scan's SARIF keeps its rules, and their indexes, as they were. */
export function unusedGrantRule(): ReportingDescriptor {
  return {
    id: UNUSED_GRANT_RULE_ID,
    name: 'UnusedGrant',
    shortDescription: { text: "The function's role grants actions its code never used." },
    fullDescription: {
      text: "A statement of the execution role's policies allows actions that no function on the role called in the baseline and detection windows (CloudTrail management events).",
    },
    help: {
      text: 'Review the least-privilege proposal (`lambda-behavior permissions`, or Lambda Behavior: Propose Least Privilege in the editor) and narrow the statement. Conditions, resource policies and SCPs are not judged; actions CloudTrail records only as data events are kept, not judged.',
    },
    defaultConfiguration: { level: 'note' },
    properties: { tags: ['security', 'iam', 'least-privilege'] },
  };
}

/** Where a grant is written: a file relative to the source root (`%SRCROOT%`), and its 1-based line when known. */
export interface GrantLocation {
  uri: string;
  line?: number;
}

export interface PermissionsSarifInput {
  report: PermissionsReport;
  /** The template line that grants it, from source mapping; else the result is located at the function. */
  locate?: (fn: FunctionPermissions, grant: UnusedGrant) => GrantLocation | undefined;
}

/** One result per unused grant of a role: a role shared by several functions is one result, at each of them. */
export function unusedGrantResults(input: PermissionsSarifInput, functions: readonly FunctionReport[], ruleIndex: number): Result[] {
  const results: Result[] = [];
  const seen = new Set<string>();
  const byName = new Map(functions.map((f) => [f.name, f] as const));
  for (const fp of input.report.functions) {
    for (const grant of fp.unused) {
      const id = [
        fp.roleArn ?? fp.function,
        grant.statement.policyArn ?? grant.statement.policyName,
        grant.statement.index,
        grant.element,
        grant.pattern,
      ].join('|');
      if (seen.has(id)) continue;
      seen.add(id);
      const roleFunctions = fp.roleFunctions.filter((name) => input.report.functions.some((f) => f.function === name));
      const shown = grant.unused.slice(0, UNUSED_IN_MESSAGE).join(', ');
      const more = grant.unusedCount > UNUSED_IN_MESSAGE ? `, ... (${grant.unusedCount} in all)` : '';
      const text =
        `Role ${fp.roleName ?? fp.roleArn ?? '?'} grants ${grant.pattern} ` +
        `(${statementText(grant.statement)}${grant.conditional ? ', conditional: not evaluated' : ''}); never used by ${fp.roleFunctions.join(', ')}: ${shown}${more}.` +
        (grant.notObservable.length
          ? ` ${grant.notObservable.length} of them CloudTrail records only as data events: kept, not judged.`
          : '');
      const where = input.locate?.(fp, grant);
      const logical = roleFunctions.map((name) => ({
        name,
        kind: 'function',
        ...(byName.get(name)?.arn ? { fullyQualifiedName: byName.get(name)!.arn } : {}),
      }));
      const location: Location = { logicalLocations: logical };
      if (where) {
        location.physicalLocation = {
          artifactLocation: { uri: where.uri, uriBaseId: '%SRCROOT%' },
          ...(where.line ? { region: { startLine: where.line } } : {}),
        };
      }
      results.push({
        ruleId: UNUSED_GRANT_RULE_ID,
        ruleIndex,
        level: 'note',
        message: { text: sarifText(text) },
        locations: [location],
        partialFingerprints: { [GRANT_FINGERPRINT_KEY]: id },
        properties: {
          role: fp.roleArn,
          functions: fp.roleFunctions,
          policy: grant.statement.policyName,
          ...(grant.statement.policyArn ? { policyArn: grant.statement.policyArn } : {}),
          statementIndex: grant.statement.index,
          ...(grant.statement.sid ? { sid: grant.statement.sid } : {}),
          element: grant.element,
          pattern: grant.pattern,
          unusedCount: grant.unusedCount,
          unused: grant.unused,
          notObservable: grant.notObservable,
          conditional: grant.conditional,
        },
      });
    }
  }
  return results;
}

export function renderSarif(report: ScanReport, toolVersion: string, permissions?: PermissionsSarifInput): Log {
  const rules = sarifRules();
  const results: Result[] = [];
  for (const fn of report.functions) {
    for (const finding of sortFindings(fn.findings)) {
      // A kind this build does not know (a newer report) still gets a result, only without a rule index.
      results.push(
        sarifResult(
          fn,
          finding,
          rules.findIndex((r) => r.id === finding.kind),
        ),
      );
    }
  }
  if (permissions) {
    rules.push(unusedGrantRule());
    results.push(...unusedGrantResults(permissions, report.functions, rules.length - 1));
  }
  const run: Run = {
    tool: {
      driver: {
        name: TOOL_NAME,
        version: toolVersion,
        semanticVersion: toolVersion,
        rules,
      },
    },
    invocations: [
      {
        executionSuccessful: true,
        toolExecutionNotifications: report.warnings.map((text) => ({ level: 'warning', message: { text: sarifText(text) } })),
      },
    ],
    results,
    properties: {
      accountId: report.accountId,
      region: report.region,
      ...(report.source ? { source: report.source } : {}),
      window: report.window,
    },
  };
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}
