// The replay backend of the permissions reads: a scenario's optional IAM and security-group files, served as the live reads answer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, SourceError } from '../core/ports';
import { policyDocumentFromAws, securityGroupFromAws } from '../permissions/aws-shapes';
import type { PolicyDocument, SecurityGroup } from '../permissions/model';
import { IAM_READ_ACTIONS, type PermissionsSource, type RoleSummary } from '../permissions/port';

/** The files, relative to the scenario directory: each optional, SDK v3 JSON as `record` writes them. */
export const PERMISSIONS_FILES = {
  /** `{ "Roles": [ { "Role": GetRole's Role, "AttachedPolicies": [...], "RolePolicies": [ { "PolicyName", "PolicyDocument" } ] } ] }` */
  roles: 'iam/roles.json',
  /** `{ "Policies": [ { "Policy": GetPolicy's Policy, "Versions": [ GetPolicyVersion's PolicyVersion ] } ] }` */
  policies: 'iam/policies.json',
  /** DescribeSecurityGroups' answer: `{ "SecurityGroups": [...] }` */
  securityGroups: 'ec2/describe-security-groups.json',
} as const;

interface RecordedRole {
  Role?: { RoleName?: string; Arn?: string; PermissionsBoundary?: { PermissionsBoundaryArn?: string } };
  AttachedPolicies?: Array<{ PolicyName?: string; PolicyArn?: string }>;
  RolePolicies?: Array<{ PolicyName?: string; PolicyDocument?: unknown }>;
}

interface RecordedPolicy {
  Policy?: { PolicyName?: string; Arn?: string; DefaultVersionId?: string };
  Versions?: Array<{ VersionId?: string; Document?: unknown }>;
}

function readOptionalJson(dir: string, rel: string): Record<string, unknown> | undefined {
  const file = path.join(dir, rel);
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return undefined;
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

function arrayIn<T>(doc: Record<string, unknown> | undefined, key: string, file: string): T[] | undefined {
  if (!doc) return undefined;
  if (!Array.isArray(doc[key])) throw new InputError(`${file}: expected a "${key}" array`);
  return doc[key] as T[];
}

/** Reads the scenario's permissions files up front (a malformed one fails here, with its name); an absent one fails its reads. */
export function openRecordedPermissions(dir: string, label = `scenario ${dir}`): PermissionsSource {
  const file = (rel: string) => path.join(dir, rel);
  const roles = arrayIn<RecordedRole>(readOptionalJson(dir, PERMISSIONS_FILES.roles), 'Roles', file(PERMISSIONS_FILES.roles));
  const policies = arrayIn<RecordedPolicy>(readOptionalJson(dir, PERMISSIONS_FILES.policies), 'Policies', file(PERMISSIONS_FILES.policies));
  const groups = arrayIn<unknown>(
    readOptionalJson(dir, PERMISSIONS_FILES.securityGroups),
    'SecurityGroups',
    file(PERMISSIONS_FILES.securityGroups),
  );
  const scenario = readOptionalJson(dir, 'scenario.json');
  const failures = (scenario?.failures ?? {}) as Record<string, unknown>;

  /** A read that failed when the account was recorded fails again; a file not recorded fails as such. */
  const check = (action: string, present: unknown, rel: string) => {
    const recorded = Object.hasOwn(failures, action) ? failures[action] : undefined;
    if (typeof recorded === 'string') throw new SourceError('other', `not recorded: ${recorded}`);
    if (!present) throw new SourceError('other', `not recorded: the scenario has no ${rel} (${action})`);
  };
  const role = (action: string, roleName: string): RecordedRole => {
    check(action, roles, PERMISSIONS_FILES.roles);
    const found = roles!.find((r) => r.Role?.RoleName === roleName);
    if (!found) throw new SourceError('other', `not recorded: role ${roleName} is not in ${PERMISSIONS_FILES.roles}`);
    return found;
  };
  const policy = (action: string, arn: string): RecordedPolicy => {
    check(action, policies, PERMISSIONS_FILES.policies);
    const found = policies!.find((p) => p.Policy?.Arn === arn);
    if (!found) throw new SourceError('other', `not recorded: policy ${arn} is not in ${PERMISSIONS_FILES.policies}`);
    return found;
  };

  return {
    label,
    async getRole(roleName): Promise<RoleSummary> {
      const r = role(IAM_READ_ACTIONS.getRole, roleName).Role!;
      const boundary = r.PermissionsBoundary?.PermissionsBoundaryArn;
      return { roleName, arn: r.Arn ?? '', ...(boundary ? { permissionsBoundaryArn: boundary } : {}) };
    },
    async listAttachedRolePolicies(roleName) {
      return (role(IAM_READ_ACTIONS.listAttachedRolePolicies, roleName).AttachedPolicies ?? []).map((p) => ({
        policyName: p.PolicyName ?? '',
        policyArn: p.PolicyArn ?? '',
      }));
    },
    async getPolicy(policyArn) {
      const p = policy(IAM_READ_ACTIONS.getPolicy, policyArn).Policy!;
      return { policyName: p.PolicyName ?? '', defaultVersionId: p.DefaultVersionId ?? '' };
    },
    async getPolicyVersion(policyArn, versionId): Promise<PolicyDocument> {
      const v = (policy(IAM_READ_ACTIONS.getPolicyVersion, policyArn).Versions ?? []).find((x) => x.VersionId === versionId);
      if (!v) throw new SourceError('other', `not recorded: version ${versionId} of ${policyArn} is not in ${PERMISSIONS_FILES.policies}`);
      return policyDocumentFromAws(v.Document, `${policyArn} ${versionId}`);
    },
    async listRolePolicies(roleName) {
      return (role(IAM_READ_ACTIONS.listRolePolicies, roleName).RolePolicies ?? []).map((p) => p.PolicyName ?? '');
    },
    async getRolePolicy(roleName, policyName): Promise<PolicyDocument> {
      const p = (role(IAM_READ_ACTIONS.getRolePolicy, roleName).RolePolicies ?? []).find((x) => x.PolicyName === policyName);
      if (!p) throw new SourceError('other', `not recorded: inline policy ${policyName} of ${roleName}`);
      return policyDocumentFromAws(p.PolicyDocument, `inline policy ${policyName} of ${roleName}`);
    },
    async describeSecurityGroups(groupIds): Promise<SecurityGroup[]> {
      check(IAM_READ_ACTIONS.describeSecurityGroups, groups, PERMISSIONS_FILES.securityGroups);
      const wanted = new Set(groupIds);
      return groups!.map(securityGroupFromAws).filter((g) => wanted.has(g.groupId));
    },
  };
}
