// A role's policies judged against the calls made with it: which statement grants each used action (iam-simulate), and what is granted but unused (iam-expand).
import { expandIamActions, invertIamActions, actionMatchesPattern } from '@cloud-copilot/iam-expand';
import { runSimulation, type RequestAnalysis } from '@cloud-copilot/iam-simulate';
import { DATA_EVENT_ACTION_PATTERNS, iamActionsForEvent } from './actions';
import type {
  CallerKind,
  ConditionNote,
  ObservedCall,
  PolicyStatement,
  RolePolicies,
  RolePolicy,
  StatementRef,
  UnmappedCall,
  UnusedGrant,
  UsedAction,
  Verdict,
} from './model';

/** The simulator's analysis of one statement (not exported by name). */
type StatementAnalysis = NonNullable<RequestAnalysis['identityAnalysis']>['allowStatements'][number];

/** At most this many unused actions are listed per pattern (`*` alone grants some 18,000); the count is always whole. */
export const MAX_LISTED_UNUSED = 200;

export interface RoleEvaluation {
  used: UsedAction[];
  unmapped: UnmappedCall[];
  unused: UnusedGrant[];
  /** The runtime actions (EvaluateOptions.runtimeActions) the role grants now: the proposal keeps exactly these. */
  runtimeGranted: string[];
  /** Policies the simulator refused (invalid syntax), in words. */
  errors: string[];
}

export interface EvaluateOptions {
  accountId: string;
  /** Actions the Lambda service needs for the function whatever its code does (logs, VPC ENIs): never listed as unused. */
  runtimeActions?: readonly string[];
}

/** The statements of a policy document, always as an array. */
export function statementsOf(policy: RolePolicy): PolicyStatement[] {
  const s = policy.document.Statement;
  return Array.isArray(s) ? s : [s];
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The simulator's name for a policy: unique per role (an inline and a managed policy may share a name). */
function policyKey(p: RolePolicy): string {
  return p.kind === 'managed' ? `managed:${p.arn ?? p.name}` : `inline:${p.name}`;
}

function statementRef(p: RolePolicy, index: number): StatementRef {
  const s = statementsOf(p)[index] as PolicyStatement;
  return {
    policyKind: p.kind,
    policyName: p.name,
    ...(p.arn ? { policyArn: p.arn } : {}),
    index,
    ...(s.Sid ? { sid: s.Sid } : {}),
    effect: s.Effect,
  };
}

/** `inline policy orders-role-policy, statement 2 (Sid ReadSecrets)`: how people see a statement. */
export function describeStatement(ref: StatementRef): string {
  const policy = ref.policyKind === 'managed' ? `managed policy ${ref.policyArn ?? ref.policyName}` : `inline policy ${ref.policyName}`;
  return `${policy}, statement ${ref.index + 1}${ref.sid ? ` (Sid ${ref.sid})` : ''}`;
}

export const sameStatement = (a: StatementRef, b: StatementRef): boolean =>
  a.policyKind === b.policyKind && a.policyName === b.policyName && a.policyArn === b.policyArn && a.index === b.index;

function addRef(list: StatementRef[], ref: StatementRef): void {
  if (!list.some((r) => sameStatement(r, ref))) list.push(ref);
}

interface Simulated {
  verdict: Verdict;
  grantedBy: StatementRef[];
  deniedBy: StatementRef[];
  conditions: ConditionNote[];
  resources: string[];
  error?: string;
}

/**
 * One action against the role's identity policies, in the simulator's Discovery mode on every resource (`*`): the
 * request's context is unknown, so every condition is reported, not evaluated.
 */
async function simulate(role: RolePolicies, action: string, principal: string, accountId: string): Promise<Simulated> {
  const byKey = new Map(role.policies.map((p) => [policyKey(p), p] as const));
  const result = await runSimulation(
    {
      request: { principal, action, resource: { resource: '*', accountId }, contextVariables: {} },
      identityPolicies: role.policies.map((p) => ({ name: policyKey(p), policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Discovery' },
  );
  const out: Simulated = { verdict: 'not-granted', grantedBy: [], deniedBy: [], conditions: [], resources: [] };
  if (result.resultType === 'error')
    return { ...out, error: `${action}: the simulator refused the role's policies: ${result.errors.message}` };
  const analyses = result.resultType === 'single' ? [result.result.analysis] : result.results.map((r) => r.analysis);
  const refOf = (s: StatementAnalysis): { ref: StatementRef; policy: RolePolicy } | undefined => {
    const policy = byKey.get(s.policyId);
    // The simulator numbers statements from 1.
    return policy ? { ref: statementRef(policy, s.statement.index() - 1), policy } : undefined;
  };
  const noteConditions = (s: StatementAnalysis, ref: StatementRef) => {
    for (const c of s.ignoredConditions ?? []) {
      const note: ConditionNote = { statement: ref, operator: c.operation().value(), key: c.conditionKey(), values: c.conditionValues() };
      if (!out.conditions.some((n) => sameStatement(n.statement, ref) && n.operator === note.operator && n.key === note.key))
        out.conditions.push(note);
    }
  };
  let unconditionalAllow = false;
  let conditionalDeny = false;
  for (const analysis of analyses) {
    const identity = analysis.identityAnalysis;
    if (!identity) continue;
    for (const s of identity.allowStatements) {
      const found = refOf(s);
      if (!found) continue;
      addRef(out.grantedBy, found.ref);
      noteConditions(s, found.ref);
      if (!s.ignoredConditions?.length) unconditionalAllow = true;
      const st = statementsOf(found.policy)[found.ref.index] as PolicyStatement;
      for (const r of st.Resource !== undefined ? asList(st.Resource) : asList(st.NotResource).map((n) => `NotResource ${n}`)) {
        if (!out.resources.includes(r)) out.resources.push(r);
      }
    }
    for (const s of identity.denyStatements) {
      const found = refOf(s);
      if (found) addRef(out.deniedBy, found.ref);
    }
    // A Deny whose only unknown is its condition: it denies when the condition holds.
    for (const s of identity.unmatchedStatements) {
      if (s.statement.effect() !== 'Deny' || !s.actionMatch || !s.resourceMatch || !s.ignoredConditions?.length) continue;
      const found = refOf(s);
      if (!found) continue;
      addRef(out.deniedBy, found.ref);
      noteConditions(s, found.ref);
      conditionalDeny = true;
    }
  }
  // Simulated on every resource, the action is allowed when some resource is: a statement naming one key grants it.
  // The identity policies' answer, not the whole request's: resource policies (a KMS key's, which KMS requires) are
  // not read, so the request as a whole would be judged on half its policies.
  const results = analyses.map((a) => a.identityAnalysis?.result ?? a.result);
  out.verdict = results.includes('Allowed')
    ? unconditionalAllow && !conditionalDeny
      ? 'allowed'
      : 'allowed-if-conditions'
    : results.includes('ExplicitlyDenied')
      ? 'denied'
      : 'not-granted';
  return out;
}

/** The calls grouped by the IAM actions they map to; calls with no action in the data apart. */
async function mapCalls(calls: readonly ObservedCall[]): Promise<{ byAction: Map<string, ObservedCall[]>; unmapped: UnmappedCall[] }> {
  const byAction = new Map<string, ObservedCall[]>();
  const unmapped = new Map<string, UnmappedCall>();
  for (const call of calls) {
    const mapping = await iamActionsForEvent(call.eventSource, call.eventName);
    if (!mapping.mapped) {
      const key = `${call.eventSource}:${call.eventName}`;
      const u = unmapped.get(key) ?? { eventSource: call.eventSource, eventName: call.eventName, functions: [], reason: mapping.reason };
      if (!u.functions.includes(call.function)) u.functions.push(call.function);
      unmapped.set(key, u);
      continue;
    }
    for (const action of mapping.actions) {
      const key = `${call.caller}|${action}`;
      byAction.set(key, [...(byAction.get(key) ?? []), call]);
    }
  }
  return {
    byAction,
    unmapped: [...unmapped.values()].sort((a, b) => `${a.eventSource}:${a.eventName}`.localeCompare(`${b.eventSource}:${b.eventName}`)),
  };
}

const expansionCache = new Map<string, Promise<string[]>>();
/** Every action a pattern (`s3:Get*`, `*`) names in the IAM data. */
function expand(pattern: string): Promise<string[]> {
  let p = expansionCache.get(pattern);
  if (!p) expansionCache.set(pattern, (p = expandIamActions(pattern, { expandAsterisk: true })));
  return p;
}

/** What each Allow statement grants that no call on the role used, pattern by pattern (a NotAction list as one). */
async function unusedGrants(role: RolePolicies, usedActions: ReadonlySet<string>, runtime: ReadonlySet<string>): Promise<UnusedGrant[]> {
  const idle = (actions: readonly string[]) =>
    actions.filter((a) => !usedActions.has(a.toLowerCase()) && !runtime.has(a.toLowerCase())).sort();
  const work: Array<Promise<UnusedGrant | undefined>> = [];
  for (const policy of role.policies) {
    statementsOf(policy).forEach((st, index) => {
      if (st.Effect !== 'Allow') return;
      const statement = statementRef(policy, index);
      const conditional = st.Condition !== undefined && Object.keys(st.Condition).length > 0;
      const grant = (pattern: string, element: UnusedGrant['element'], actions: string[]): UnusedGrant | undefined => {
        const unused = idle(actions);
        if (!unused.length) return undefined;
        const notObservable = unused.filter((a) => DATA_EVENT_ACTION_PATTERNS.some((p) => actionMatchesPattern(a, p)));
        const resources = st.Resource !== undefined ? asList(st.Resource) : ['*'];
        return {
          statement,
          pattern,
          element,
          unusedCount: unused.length,
          unused: unused.slice(0, MAX_LISTED_UNUSED),
          conditional,
          notObservable,
          resources,
        };
      };
      if (st.Action !== undefined) {
        for (const pattern of asList(st.Action)) work.push(expand(pattern).then((a) => grant(pattern, 'Action', a)));
      } else if (st.NotAction !== undefined) {
        const not = asList(st.NotAction);
        work.push(invertIamActions(not).then((a) => grant(`NotAction ${not.join(', ')}`, 'NotAction', a)));
      }
    });
  }
  // In statement order, whatever order the expansions finish in.
  return (await Promise.all(work)).filter((g): g is UnusedGrant => g !== undefined);
}

/**
 * The role judged on every call made with it (all its functions together): each used action with its verdict and the
 * statements that decide it, calls the data cannot map, and what is granted but unused.
 */
export async function evaluateRole(role: RolePolicies, calls: readonly ObservedCall[], options: EvaluateOptions): Promise<RoleEvaluation> {
  const { byAction, unmapped } = await mapCalls(calls);
  const errors: string[] = [];
  const used: UsedAction[] = [];
  for (const [key, actionCalls] of [...byAction].sort(([a], [b]) => a.localeCompare(b))) {
    const [caller, action] = key.split('|') as [CallerKind, string];
    const functions = [...new Set(actionCalls.map((c) => c.function))].sort();
    const principal = `arn:aws:sts::${options.accountId}:assumed-role/${role.roleName}/${functions[0] ?? role.roleName}`;
    const sim = await simulate(role, action, principal, options.accountId);
    if (sim.error) errors.push(sim.error);
    used.push({
      action,
      caller,
      calls: actionCalls,
      functions,
      verdict: sim.verdict,
      grantedBy: sim.grantedBy,
      deniedBy: sim.deniedBy,
      resources: sim.resources,
      conditions: sim.conditions,
      deniedInTrail: actionCalls.every((c) => c.succeeded === 0 && c.denied > 0),
      newInDetection: actionCalls.every((c) => !c.inBaseline),
    });
  }
  // Only what succeeded counts as used: a call that was always denied does not make its grant "used".
  const usedSet = new Set(used.filter((u) => !u.deniedInTrail).map((u) => u.action.toLowerCase()));
  const runtime = new Set((options.runtimeActions ?? []).map((a) => a.toLowerCase()));
  const unused = await unusedGrants(role, usedSet, runtime);
  const runtimeGranted: string[] = [];
  for (const action of options.runtimeActions ?? []) {
    const sim = await simulate(
      role,
      action,
      `arn:aws:sts::${options.accountId}:assumed-role/${role.roleName}/${role.roleName}`,
      options.accountId,
    );
    if (sim.verdict === 'allowed' || sim.verdict === 'allowed-if-conditions') runtimeGranted.push(action);
  }
  return { used, unmapped, unused, runtimeGranted, errors };
}

/** Whether an action is named by a pattern (wildcards as IAM reads them), for callers matching proposals to grants. */
export function actionMatches(action: string, pattern: string): boolean {
  return actionMatchesPattern(action, pattern);
}
