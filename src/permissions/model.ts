// The permissions layer's vocabulary: a role's policies and security groups as read, and what each function used, was granted and could do without.

/** An IAM policy document as IAM returns it (decoded): `Statement` may be one object or an array. */
export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean | number>>;
  [key: string]: unknown;
}

/** One policy of a role: inline (by name) or attached managed (by ARN, its default version). */
export interface RolePolicy {
  kind: 'inline' | 'managed';
  name: string;
  /** Managed policies: their ARN. */
  arn?: string;
  /** Managed policies: the default version that was read (`v3`). */
  versionId?: string;
  document: PolicyDocument;
}

export interface RolePolicies {
  roleName: string;
  roleArn: string;
  policies: RolePolicy[];
  /** The role's permissions boundary, when it has one: not evaluated, said in the notes. */
  permissionsBoundaryArn?: string;
}

/** One egress rule of a security group, one destination per rule (EC2's IpPermissions flattened). */
export interface SecurityGroupEgressRule {
  groupId: string;
  /** `tcp`, `udp`, `icmp`, `icmpv6` or `-1` (all). */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  destination: EgressDestination;
  description?: string;
}

export type EgressDestination =
  | { kind: 'cidr'; cidr: string }
  | { kind: 'prefix-list'; prefixListId: string; name?: string }
  | { kind: 'security-group'; groupId: string };

export interface SecurityGroup {
  groupId: string;
  groupName?: string;
  vpcId?: string;
  egress: SecurityGroupEgressRule[];
}

/** A managed prefix list AWS publishes for a service (`com.amazonaws.us-east-1.s3`), when the source knows them. */
export interface PrefixListInfo {
  prefixListId: string;
  name: string;
}

// ---------------------------------------------------------------- the evaluation

/** Where a statement is: the policy (inline name or managed ARN) and its index (0-based) in the policy's statements. */
export interface StatementRef {
  policyKind: RolePolicy['kind'];
  policyName: string;
  policyArn?: string;
  /** 0-based position in the policy's `Statement` array (0 for a lone statement object). */
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
}

/** A condition of a statement that applied to an action: never evaluated (the request context is not known). */
export interface ConditionNote {
  statement: StatementRef;
  operator: string;
  key: string;
  values: string[];
}

/**
 * - `allowed`: an Allow statement without conditions grants it and no Deny statement matches.
 * - `allowed-if-conditions`: only statements with conditions decide it (an Allow's, or a Deny's that would apply when
 *   its condition holds): the conditions are not evaluated.
 * - `denied`: an unconditional Deny statement matches.
 * - `not-granted`: no statement allows it (implicit deny).
 */
export type Verdict = 'allowed' | 'allowed-if-conditions' | 'denied' | 'not-granted';

/** Who made calls with the role's credentials: the function's code, or the Lambda service for it (`awslambda_*` sessions). */
export type CallerKind = 'function' | 'lambda-service';

/** One CloudTrail call (event source and name) of one function, as the scan report counted it. */
export interface ObservedCall {
  function: string;
  eventSource: string;
  eventName: string;
  caller: CallerKind;
  /** Calls in both windows, how many of them succeeded, and how many the detection window saw denied (`AccessDenied`...). */
  count: number;
  succeeded: number;
  denied: number;
  /** True when the baseline had it; false: first seen in the detection window (a new-api-call finding). */
  inBaseline: boolean;
}

/** An IAM action the role's credentials were used for, and what the role's policies say of it. */
export interface UsedAction {
  /** `lambda:InvokeFunction`. */
  action: string;
  caller: CallerKind;
  /** The calls it was mapped from, per function. */
  calls: ObservedCall[];
  /** The functions that used it (a shared role: any of them). */
  functions: string[];
  verdict: Verdict;
  /** Statements that allow it (on some resource), conditional ones included. */
  grantedBy: StatementRef[];
  /** Statements that deny it, unconditionally or when their condition holds. */
  deniedBy: StatementRef[];
  /** Resource patterns the allowing statements name for it (`*`, `arn:aws:s3:::bucket/*`). */
  resources: string[];
  /** Conditions of the deciding statements: not evaluated. */
  conditions: ConditionNote[];
  /** Every call of it was denied when it was made. */
  deniedInTrail: boolean;
  /** Not seen in the baseline: first made in the detection window. */
  newInDetection: boolean;
}

/** A CloudTrail call with no IAM action in the data (nor in the documented exceptions): listed, never guessed. */
export interface UnmappedCall {
  eventSource: string;
  eventName: string;
  functions: string[];
  reason: string;
}

/** What one Allow statement grants that nobody on the role used. */
export interface UnusedGrant {
  statement: StatementRef;
  /** The pattern as written (`s3:*`), or the NotAction list it is the complement of. */
  pattern: string;
  element: 'Action' | 'NotAction';
  /** How many actions the pattern grants (expanded from the IAM data) that were not used. */
  unusedCount: number;
  /** The first of them, sorted (at most MAX_LISTED_UNUSED). */
  unused: string[];
  /** The pattern has a condition: not evaluated. */
  conditional: boolean;
  /**
   * Those unused actions (all of them, not only the listed) that CloudTrail records only as data events, which the scan
   * cannot read: "unused" is unknown for them, so the proposal keeps them for the reviewer to judge.
   */
  notObservable: string[];
  /** The statement's Resource (`*` for a NotResource statement, which the proposal does not copy). */
  resources: string[];
}

// ---------------------------------------------------------------- the proposal

/** Why a statement is in the proposal. */
export type ProposalBasis = 'used-by-code' | 'used-by-lambda-service' | 'lambda-runtime' | 'kept-not-observable';

export interface ProposedStatement {
  sid: string;
  basis: ProposalBasis;
  /** The IAM service prefix (`s3`) for used-by-code statements. */
  service?: string;
  actions: string[];
  resources: string[];
}

export interface PolicyProposal {
  statements: ProposedStatement[];
  /** The proposal as a policy document, ready to review and paste. */
  document: PolicyDocument;
  /** What a reviewer must know: resources left `*`, actions first seen in the detection window, what was not judged. */
  notes: string[];
}

export interface ProposedEgressRule {
  protocol: string;
  port: number;
  destination:
    | { kind: 'cidr'; cidr: string }
    | { kind: 'prefix-list'; name: string; /** Known only when the source lists the account's prefix lists. */ prefixListId?: string }
    | { kind: 'service'; service: string; region: string };
  /** The peers (report subjects, `aws:S3:us-east-1:443/tcp`, `10.0.1.5:5432/tcp`) this rule lets through. */
  peers: string[];
  /** Whether the function's current egress rules already allow it. */
  allowedNow: boolean;
}

export interface CurrentEgressJudgement {
  rule: SecurityGroupEgressRule;
  /** Peers seen that this rule allows. */
  usedBy: string[];
}

export interface NetworkProposal {
  securityGroupIds: string[];
  current: CurrentEgressJudgement[];
  proposed: ProposedEgressRule[];
  notes: string[];
}

// ---------------------------------------------------------------- per function

export interface ReadFailure {
  /** A SourceErrorKind of the engine (`access-denied`, `expired-credentials`...) or `missing` (not recorded). */
  kind: string;
  message: string;
  iamAction?: string;
}

export interface FunctionPermissions {
  function: string;
  roleArn?: string;
  roleName?: string;
  /** Every function on the role, this one included: the role is judged on what all of them used. */
  roleFunctions: string[];
  /** The role's policies could not be read: `used`, `unused` and the proposal's verdicts are then absent. */
  roleFailure?: ReadFailure;
  policies: Array<Pick<RolePolicy, 'kind' | 'name' | 'arn' | 'versionId'>>;
  used: UsedAction[];
  unmapped: UnmappedCall[];
  unused: UnusedGrant[];
  proposal: PolicyProposal;
  network?: NetworkProposal;
  networkFailure?: ReadFailure;
  /** What this evaluation cannot judge, for people. */
  notes: string[];
}

export interface PermissionsReport {
  formatVersion: 1;
  accountId: string;
  region: string;
  source?: string;
  window: { baselineStart: string; detectEnd: string };
  functions: FunctionPermissions[];
  /** What was not judged for every function (conditions, resource policies, SCPs, boundaries, session policies). */
  limits: string[];
}
