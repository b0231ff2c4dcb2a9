// The least-privilege proposal: a policy of the actions used (by service), what the Lambda runtime needs, and the grants the trail cannot judge.
import type { PolicyDocument, PolicyProposal, PolicyStatement, ProposedStatement, UnusedGrant, UsedAction } from './model';

/** What Lambda itself does with the execution role for every function (AWSLambdaBasicExecutionRole): write its logs. */
export const LAMBDA_LOG_ACTIONS: readonly string[] = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];
/** And for a function in a VPC (AWSLambdaVPCAccessExecutionRole): manage its Hyperplane ENIs. */
export const LAMBDA_VPC_ACTIONS: readonly string[] = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

export function lambdaRuntimeActions(inVpc: boolean): string[] {
  return [...LAMBDA_LOG_ACTIONS, ...(inVpc ? LAMBDA_VPC_ACTIONS : [])];
}

export const RESOURCE_NOTE =
  'Resources are "*": the scan keeps no request parameters of the calls it counts, so it cannot name the resources; narrow each Resource to the ARNs the function uses before deploying.';

const sidWord = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** A used action goes into the proposal when some call of it succeeded: an always-denied call is not to be granted. */
export function proposable(u: UsedAction): boolean {
  return !u.deniedInTrail;
}

export interface ProposalInput {
  used: readonly UsedAction[];
  unused: readonly UnusedGrant[];
  /** The runtime actions the role grants now (logs; VPC ENIs for a function in a VPC). */
  runtimeGranted: readonly string[];
  roleFunctions: readonly string[];
}

export function proposePolicy(input: ProposalInput): PolicyProposal {
  const statements: ProposedStatement[] = [];
  const notes: string[] = [];
  const code = input.used.filter((u) => u.caller === 'function' && proposable(u));
  const byService = new Map<string, string[]>();
  for (const u of code) {
    const service = u.action.split(':')[0] as string;
    byService.set(service, [...new Set([...(byService.get(service) ?? []), u.action])].sort());
  }
  for (const [service, actions] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
    statements.push({ sid: `${sidWord(service)}UsedByCode`, basis: 'used-by-code', service, actions, resources: ['*'] });
  }
  const service = [...new Set(input.used.filter((u) => u.caller === 'lambda-service' && proposable(u)).map((u) => u.action))].sort();
  if (service.length) statements.push({ sid: 'UsedByLambdaService', basis: 'used-by-lambda-service', actions: service, resources: ['*'] });
  if (input.runtimeGranted.length)
    statements.push({ sid: 'LambdaRuntime', basis: 'lambda-runtime', actions: [...input.runtimeGranted].sort(), resources: ['*'] });
  const inProposal = new Set(statements.flatMap((s) => s.actions));
  // Kept on the resources their statements grant them on now, one statement per resource list.
  const kept = new Map<string, { resources: string[]; actions: Set<string> }>();
  for (const g of input.unused) {
    const actions = g.notObservable.filter((a) => !inProposal.has(a));
    if (!actions.length) continue;
    const key = JSON.stringify(g.resources);
    const entry = kept.get(key) ?? { resources: g.resources, actions: new Set<string>() };
    for (const a of actions) entry.actions.add(a);
    kept.set(key, entry);
  }
  [...kept.values()].forEach((k, i) => {
    statements.push({
      sid: `GrantedNotObservable${i ? i + 1 : ''}`,
      basis: 'kept-not-observable',
      actions: [...k.actions].sort(),
      resources: k.resources,
    });
  });
  const unseen = [...new Set([...kept.values()].flatMap((k) => [...k.actions]))].sort();
  if (unseen.length) {
    notes.push(
      `${unseen.length} granted action(s) CloudTrail records only as data events (${unseen.slice(0, 5).join(', ')}${unseen.length > 5 ? ', ...' : ''}) are kept in GrantedNotObservable: the scan cannot see them used; remove those the function does not need.`,
    );
  }
  if (statements.length) notes.push(RESOURCE_NOTE);
  const fresh = code.filter((u) => u.newInDetection).map((u) => u.action);
  if (fresh.length)
    notes.push(
      `First made in the detection window, not in the baseline: ${fresh.join(', ')}. Check they are the code's before granting them (they are new-api-call findings).`,
    );
  const denied = input.used.filter((u) => !proposable(u)).map((u) => u.action);
  if (denied.length) notes.push(`Left out because every call was denied: ${denied.join(', ')}.`);
  if (input.roleFunctions.length > 1)
    notes.push(`The role is shared by ${input.roleFunctions.join(', ')}: the proposal covers what all of them used.`);
  if (input.runtimeGranted.length)
    notes.push('LambdaRuntime keeps what the Lambda service needs for any function (logs; ENIs in a VPC), as the role grants it now.');
  return { statements, document: toDocument(statements), notes };
}

export function toDocument(statements: readonly ProposedStatement[]): PolicyDocument {
  const Statement: PolicyStatement[] = statements.map((s) => ({
    Sid: s.sid,
    Effect: 'Allow',
    Action: s.actions.length === 1 ? (s.actions[0] as string) : [...s.actions],
    Resource: s.resources.length === 1 ? (s.resources[0] as string) : [...s.resources],
  }));
  return { Version: '2012-10-17', Statement };
}
