// Permissions, granted against used, per function of a scan report: reads each role and security group once, evaluates, proposes.
import type { FunctionReport, LambdaFunction, ScanReport } from '../core/model';
import { SourceError } from '../core/ports';
import { evaluateRole, type RoleEvaluation } from './evaluate';
import type {
  FunctionPermissions,
  ObservedCall,
  PermissionsReport,
  PrefixListInfo,
  ReadFailure,
  RolePolicies,
  SecurityGroup,
} from './model';
import { proposeEgress } from './network';
import { readRolePolicies, type PermissionsSource } from './port';
import { lambdaRuntimeActions, proposePolicy } from './proposal';

/** What no evaluation here can judge: said once in every permissions report. */
export const PERMISSIONS_LIMITS: readonly string[] = [
  'Conditions are not evaluated: an action granted only under a condition is "allowed-if-conditions", and the condition is listed.',
  'Resource-based policies (bucket, key, queue and function policies), service control policies, resource control policies, permissions boundaries and session policies are not evaluated: they can only take away what the role grants, or grant across accounts.',
  "Calls are those CloudTrail's LookupEvents returns (management events) in the baseline and detection windows: data events (S3 objects, DynamoDB items, Lambda Invoke, SQS messages...) are not among them, so their grants are kept, not judged.",
  'A call made less often than the windows are long (a monthly job) looks unused.',
];

export interface AnalyzeOptions {
  /** Only these functions (all of the report's when empty); a role is still judged on every function of the report using it. */
  functions?: readonly string[];
  /** The functions' configurations (security groups); else the security groups of the ENIs in the report. */
  lambdaFunctions?: readonly LambdaFunction[];
  prefixLists?: readonly PrefixListInfo[];
  signal: AbortSignal;
}

function failureOf(err: unknown): ReadFailure {
  if (SourceError.is(err)) return { kind: err.kind, message: err.message, ...(err.iamAction ? { iamAction: err.iamAction } : {}) };
  throw err;
}

/** The report's API calls of one function in both windows, as the evaluation counts them. */
export function observedCalls(f: FunctionReport): ObservedCall[] {
  return f.apiCalls.map((c) => ({
    function: f.name,
    eventSource: c.eventSource,
    eventName: c.eventName,
    caller: c.caller ?? 'function',
    count: c.count + (c.baseline?.count ?? 0),
    succeeded: c.count - c.errors + (c.baseline ? c.baseline.count - c.baseline.errors : 0),
    denied: c.denied ?? 0,
    inBaseline: c.inBaseline,
  }));
}

function securityGroupIds(f: FunctionReport, config: LambdaFunction | undefined): string[] {
  if (config) return config.vpc?.securityGroupIds ?? [];
  return [...new Set(f.enis.flatMap((e) => e.securityGroupIds ?? []))].sort();
}

export async function analyzePermissions(
  report: ScanReport,
  source: PermissionsSource,
  options: AnalyzeOptions,
): Promise<PermissionsReport> {
  const { signal } = options;
  const wanted = options.functions?.length ? new Set(options.functions) : undefined;
  const chosen = report.functions.filter((f) => !wanted || wanted.has(f.name));
  const configs = new Map((options.lambdaFunctions ?? []).map((f) => [f.name, f] as const));

  const byRole = new Map<string, FunctionReport[]>();
  for (const f of report.functions) if (f.role) byRole.set(f.role, [...(byRole.get(f.role) ?? []), f]);

  const roles = new Map<string, { policies?: RolePolicies; evaluation?: RoleEvaluation; failure?: ReadFailure }>();
  for (const roleArn of new Set(chosen.map((f) => f.role).filter((r): r is string => !!r))) {
    const users = byRole.get(roleArn) ?? [];
    try {
      const policies = await readRolePolicies(source, roleArn, signal);
      const evaluation = await evaluateRole(policies, users.flatMap(observedCalls), {
        accountId: report.accountId,
        runtimeActions: lambdaRuntimeActions(users.some((f) => f.inVpc)),
      });
      roles.set(roleArn, { policies, evaluation });
    } catch (err) {
      roles.set(roleArn, { failure: failureOf(err) });
    }
  }

  const groupIds = [...new Set(chosen.flatMap((f) => securityGroupIds(f, configs.get(f.name))))].sort();
  let groups: SecurityGroup[] = [];
  let groupsFailure: ReadFailure | undefined;
  if (groupIds.length) {
    try {
      groups = await source.describeSecurityGroups(groupIds, signal);
    } catch (err) {
      groupsFailure = failureOf(err);
    }
  }

  const functions: FunctionPermissions[] = chosen.map((f) => {
    const role = f.role ? roles.get(f.role) : undefined;
    const roleFunctions = (f.role ? (byRole.get(f.role) ?? [f]) : [f]).map((x) => x.name).sort();
    const evaluation = role?.evaluation;
    const notes: string[] = [];
    if (roleFunctions.length > 1) notes.push(`Role shared by ${roleFunctions.join(', ')}: judged on what all of them used.`);
    if (role?.policies?.permissionsBoundaryArn)
      notes.push(`The role has a permissions boundary (${role.policies.permissionsBoundaryArn}): not evaluated.`);
    for (const e of evaluation?.errors ?? []) notes.push(e);
    const sgIds = securityGroupIds(f, configs.get(f.name));
    const out: FunctionPermissions = {
      function: f.name,
      ...(f.role ? { roleArn: f.role, roleName: role?.policies?.roleName ?? f.role.slice(f.role.lastIndexOf('/') + 1) } : {}),
      roleFunctions,
      ...(role?.failure
        ? { roleFailure: role.failure }
        : !f.role
          ? { roleFailure: { kind: 'missing', message: 'the function has no execution role in the report' } }
          : {}),
      policies: (role?.policies?.policies ?? []).map((p) => ({
        kind: p.kind,
        name: p.name,
        ...(p.arn ? { arn: p.arn } : {}),
        ...(p.versionId ? { versionId: p.versionId } : {}),
      })),
      used: evaluation?.used ?? [],
      unmapped: evaluation?.unmapped ?? [],
      unused: evaluation?.unused ?? [],
      proposal: evaluation
        ? proposePolicy({ used: evaluation.used, unused: evaluation.unused, runtimeGranted: evaluation.runtimeGranted, roleFunctions })
        : {
            statements: [],
            document: { Version: '2012-10-17', Statement: [] },
            notes: ["No proposal: the role's policies were not read."],
          },
      notes,
    };
    if (f.inVpc && sgIds.length) {
      if (groupsFailure) out.networkFailure = groupsFailure;
      else out.network = proposeEgress({ securityGroupIds: sgIds, groups, peers: f.peers, prefixLists: options.prefixLists });
    }
    return out;
  });

  return {
    formatVersion: 1,
    accountId: report.accountId,
    region: report.region,
    ...(report.source ? { source: report.source } : {}),
    window: { baselineStart: report.window.baselineStart, detectEnd: report.window.detectEnd },
    functions,
    limits: [...PERMISSIONS_LIMITS],
  };
}
