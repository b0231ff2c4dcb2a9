// The reads the permissions layer needs (IAM role policies, security groups), as a port the live and the replay backends implement.
import type { PolicyDocument, RolePolicies, RolePolicy, SecurityGroup } from './model';

/** The IAM actions behind each read, in the order a role is read: named in failures and in docs/iam-policy.json. */
export const IAM_READ_ACTIONS = {
  getRole: 'iam:GetRole',
  listAttachedRolePolicies: 'iam:ListAttachedRolePolicies',
  getPolicy: 'iam:GetPolicy',
  getPolicyVersion: 'iam:GetPolicyVersion',
  listRolePolicies: 'iam:ListRolePolicies',
  getRolePolicy: 'iam:GetRolePolicy',
  describeSecurityGroups: 'ec2:DescribeSecurityGroups',
} as const;

export interface RoleSummary {
  roleName: string;
  arn: string;
  permissionsBoundaryArn?: string;
}

/**
 * Read-only IAM and EC2 answers, one method per API operation (all pages read). Failures are the engine's
 * SourceError, naming the IAM action that was missing for `access-denied`.
 */
export interface PermissionsSource {
  readonly label: string;
  getRole(roleName: string, signal: AbortSignal): Promise<RoleSummary>;
  listAttachedRolePolicies(roleName: string, signal: AbortSignal): Promise<Array<{ policyName: string; policyArn: string }>>;
  /** The managed policy's default version id. */
  getPolicy(policyArn: string, signal: AbortSignal): Promise<{ policyName: string; defaultVersionId: string }>;
  getPolicyVersion(policyArn: string, versionId: string, signal: AbortSignal): Promise<PolicyDocument>;
  listRolePolicies(roleName: string, signal: AbortSignal): Promise<string[]>;
  getRolePolicy(roleName: string, policyName: string, signal: AbortSignal): Promise<PolicyDocument>;
  describeSecurityGroups(groupIds: readonly string[], signal: AbortSignal): Promise<SecurityGroup[]>;
}

/** `arn:aws:iam::123456789012:role/service-role/name` → `name` (IAM's API takes the name, without the path). */
export function roleNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** A role's inline policies and attached managed policies (their default versions). */
export async function readRolePolicies(source: PermissionsSource, roleArn: string, signal: AbortSignal): Promise<RolePolicies> {
  const role = await source.getRole(roleNameFromArn(roleArn), signal);
  const policies: RolePolicy[] = [];
  for (const name of await source.listRolePolicies(role.roleName, signal)) {
    policies.push({ kind: 'inline', name, document: await source.getRolePolicy(role.roleName, name, signal) });
  }
  for (const attached of await source.listAttachedRolePolicies(role.roleName, signal)) {
    const { defaultVersionId } = await source.getPolicy(attached.policyArn, signal);
    const document = await source.getPolicyVersion(attached.policyArn, defaultVersionId, signal);
    policies.push({ kind: 'managed', name: attached.policyName, arn: attached.policyArn, versionId: defaultVersionId, document });
  }
  return {
    roleName: role.roleName,
    roleArn: role.arn,
    policies,
    ...(role.permissionsBoundaryArn ? { permissionsBoundaryArn: role.permissionsBoundaryArn } : {}),
  };
}
