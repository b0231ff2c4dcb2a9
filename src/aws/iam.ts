// The live permissions reads (IAM role policies, EC2 security groups), read-only, and their recording into a scenario directory.
import { DescribeSecurityGroupsCommand, type EC2Client, type SecurityGroup as AwsSecurityGroup } from '@aws-sdk/client-ec2';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type AttachedPolicy,
  type Policy,
  type PolicyVersion,
  type Role,
} from '@aws-sdk/client-iam';
import { SourceError } from '../core/ports';
import { policyDocumentFromAws, securityGroupFromAws } from '../permissions/aws-shapes';
import type { PolicyDocument, SecurityGroup } from '../permissions/model';
import { IAM_READ_ACTIONS, roleNameFromArn, type PermissionsSource, type RoleSummary } from '../permissions/port';
import type { AwsClients } from './clients';
import { classifyAwsError } from './errors';

export interface IamClients {
  readonly profile?: string;
  iam(): IAMClient;
  ec2(): EC2Client;
}

/**
 * The IAM client beside the scan's clients, built by their factory from the same settings (credentials resolved once,
 * region, endpoint, retries, timeouts) and destroyed with them. The factory takes the constructor from here so that
 * the IAM SDK stays in this bundle (dist/aws-iam.js), out of dist/aws.js.
 */
export function withIam(clients: AwsClients): IamClients & { destroy(): void } {
  return {
    profile: clients.profile,
    ec2: () => clients.ec2(),
    iam: () => clients.client(IAMClient),
    // The scan's clients own it: they destroy it with the others.
    destroy: () => undefined,
  };
}

async function send<T>(c: IamClients, action: string, endpoint: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw classifyAwsError(err, action, endpoint, c.profile);
  }
}

// ---------------------------------------------------------------- raw reads, all pages (the live source maps them; record writes them)

export async function fetchRole(c: IamClients, roleName: string, signal: AbortSignal): Promise<Role> {
  const r = await send(c, IAM_READ_ACTIONS.getRole, 'iam', () =>
    c.iam().send(new GetRoleCommand({ RoleName: roleName }), { abortSignal: signal }),
  );
  if (!r.Role) throw new SourceError('malformed', `iam:GetRole answered without a role for ${roleName}`);
  return r.Role;
}

export async function fetchAttachedRolePolicies(c: IamClients, roleName: string, signal: AbortSignal): Promise<AttachedPolicy[]> {
  const out: AttachedPolicy[] = [];
  let Marker: string | undefined;
  do {
    const page = await send(c, IAM_READ_ACTIONS.listAttachedRolePolicies, 'iam', () =>
      c.iam().send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker }), { abortSignal: signal }),
    );
    out.push(...(page.AttachedPolicies ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return out;
}

export async function fetchRolePolicyNames(c: IamClients, roleName: string, signal: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await send(c, IAM_READ_ACTIONS.listRolePolicies, 'iam', () =>
      c.iam().send(new ListRolePoliciesCommand({ RoleName: roleName, Marker }), { abortSignal: signal }),
    );
    out.push(...(page.PolicyNames ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return out;
}

/** An inline policy: its document URL-encoded, as IAM returns it. */
export async function fetchRolePolicy(
  c: IamClients,
  roleName: string,
  policyName: string,
  signal: AbortSignal,
): Promise<{ PolicyName: string; PolicyDocument: string }> {
  const r = await send(c, IAM_READ_ACTIONS.getRolePolicy, 'iam', () =>
    c.iam().send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }), { abortSignal: signal }),
  );
  return { PolicyName: r.PolicyName ?? policyName, PolicyDocument: r.PolicyDocument ?? '' };
}

export async function fetchPolicy(c: IamClients, policyArn: string, signal: AbortSignal): Promise<Policy> {
  const r = await send(c, IAM_READ_ACTIONS.getPolicy, 'iam', () =>
    c.iam().send(new GetPolicyCommand({ PolicyArn: policyArn }), { abortSignal: signal }),
  );
  if (!r.Policy) throw new SourceError('malformed', `iam:GetPolicy answered without a policy for ${policyArn}`);
  return r.Policy;
}

export async function fetchPolicyVersion(c: IamClients, policyArn: string, versionId: string, signal: AbortSignal): Promise<PolicyVersion> {
  const r = await send(c, IAM_READ_ACTIONS.getPolicyVersion, 'iam', () =>
    c.iam().send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }), { abortSignal: signal }),
  );
  if (!r.PolicyVersion) throw new SourceError('malformed', `iam:GetPolicyVersion answered without a version for ${policyArn} ${versionId}`);
  return r.PolicyVersion;
}

/** Security groups by id, 200 ids a request (EC2's filter limit), all pages. */
export async function fetchSecurityGroups(c: IamClients, groupIds: readonly string[], signal: AbortSignal): Promise<AwsSecurityGroup[]> {
  const ids = [...new Set(groupIds)];
  const out: AwsSecurityGroup[] = [];
  for (let i = 0; i < ids.length; i += 200) {
    const batch = ids.slice(i, i + 200);
    let NextToken: string | undefined;
    do {
      const page = await send(c, IAM_READ_ACTIONS.describeSecurityGroups, 'ec2', () =>
        c.ec2().send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: batch }], NextToken, MaxResults: 1000 }), {
          abortSignal: signal,
        }),
      );
      out.push(...(page.SecurityGroups ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return out;
}

// ---------------------------------------------------------------- the live source

export class AwsPermissionsSource implements PermissionsSource {
  constructor(
    private readonly clients: IamClients,
    readonly label: string,
  ) {}

  async getRole(roleName: string, signal: AbortSignal): Promise<RoleSummary> {
    const r = await fetchRole(this.clients, roleName, signal);
    const boundary = r.PermissionsBoundary?.PermissionsBoundaryArn;
    return { roleName: r.RoleName ?? roleName, arn: r.Arn ?? '', ...(boundary ? { permissionsBoundaryArn: boundary } : {}) };
  }

  async listAttachedRolePolicies(roleName: string, signal: AbortSignal) {
    return (await fetchAttachedRolePolicies(this.clients, roleName, signal)).map((p) => ({
      policyName: p.PolicyName ?? '',
      policyArn: p.PolicyArn ?? '',
    }));
  }

  async getPolicy(policyArn: string, signal: AbortSignal) {
    const p = await fetchPolicy(this.clients, policyArn, signal);
    return { policyName: p.PolicyName ?? '', defaultVersionId: p.DefaultVersionId ?? '' };
  }

  async getPolicyVersion(policyArn: string, versionId: string, signal: AbortSignal): Promise<PolicyDocument> {
    const v = await fetchPolicyVersion(this.clients, policyArn, versionId, signal);
    return policyDocumentFromAws(v.Document, `${policyArn} ${versionId}`);
  }

  listRolePolicies(roleName: string, signal: AbortSignal): Promise<string[]> {
    return fetchRolePolicyNames(this.clients, roleName, signal);
  }

  async getRolePolicy(roleName: string, policyName: string, signal: AbortSignal): Promise<PolicyDocument> {
    const p = await fetchRolePolicy(this.clients, roleName, policyName, signal);
    return policyDocumentFromAws(p.PolicyDocument, `inline policy ${policyName} of ${roleName}`);
  }

  async describeSecurityGroups(groupIds: readonly string[], signal: AbortSignal): Promise<SecurityGroup[]> {
    return (await fetchSecurityGroups(this.clients, groupIds, signal)).map(securityGroupFromAws);
  }
}

// ---------------------------------------------------------------- recording

export interface PermissionsRecordSummary {
  roles: number;
  policies: number;
  securityGroups: number;
  /** Reads that failed, by IAM action: record.ts merges them into scenario.json's `failures`, and the replay fails them again. */
  failures: Record<string, string>;
}

/**
 * Writes the functions' roles (with their inline and attached managed policies, default versions) and security groups
 * as src/replay/iam.ts reads them: `iam/roles.json`, `iam/policies.json`, `ec2/describe-security-groups.json`.
 * `write` is the recorder's own (it redacts when asked). A denied read is a failure to record, not the end of the recording.
 */
export async function recordPermissions(
  c: IamClients,
  input: { roleArns: readonly string[]; securityGroupIds: readonly string[] },
  write: (rel: string, value: unknown) => void,
  signal: AbortSignal,
): Promise<PermissionsRecordSummary> {
  const failures: Record<string, string> = {};
  const attempt = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (!SourceError.is(err) || signal.aborted) throw err;
      failures[err.iamAction ?? actionOf(err.message)] ??= err.message;
      return undefined;
    }
  };
  const roles: unknown[] = [];
  const policyArns = new Set<string>();
  for (const roleName of [...new Set(input.roleArns.map(roleNameFromArn))].sort()) {
    const role = await attempt(() => fetchRole(c, roleName, signal));
    if (!role) continue;
    const attached = (await attempt(() => fetchAttachedRolePolicies(c, roleName, signal))) ?? [];
    for (const p of attached) if (p.PolicyArn) policyArns.add(p.PolicyArn);
    const names = (await attempt(() => fetchRolePolicyNames(c, roleName, signal))) ?? [];
    const inline: unknown[] = [];
    for (const name of names) {
      const p = await attempt(() => fetchRolePolicy(c, roleName, name, signal));
      if (p) inline.push(p);
    }
    roles.push({ Role: role, AttachedPolicies: attached, RolePolicies: inline });
  }
  const policies: unknown[] = [];
  for (const arn of [...policyArns].sort()) {
    const policy = await attempt(() => fetchPolicy(c, arn, signal));
    if (!policy) continue;
    const version = policy.DefaultVersionId ? await attempt(() => fetchPolicyVersion(c, arn, policy.DefaultVersionId!, signal)) : undefined;
    policies.push({ Policy: policy, Versions: version ? [version] : [] });
  }
  const groups = input.securityGroupIds.length ? ((await attempt(() => fetchSecurityGroups(c, input.securityGroupIds, signal))) ?? []) : [];
  write('iam/roles.json', { Roles: roles });
  write('iam/policies.json', { Policies: policies });
  if (!failures[IAM_READ_ACTIONS.describeSecurityGroups]) write('ec2/describe-security-groups.json', { SecurityGroups: groups });
  return { roles: roles.length, policies: policies.length, securityGroups: groups.length, failures };
}

/** The IAM action a message names (`iam:GetRole failed: ...`), for failures that are not access denied. */
function actionOf(message: string): string {
  return Object.values(IAM_READ_ACTIONS).find((a) => message.includes(a)) ?? 'iam';
}
