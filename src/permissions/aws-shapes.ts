// IAM and EC2 answers (SDK v3 JSON, live or recorded) mapped to the permissions layer's types, checked as they are read.
import { protocolName } from '../core/model';
import { SourceError } from '../core/ports';
import type { PolicyDocument, SecurityGroup, SecurityGroupEgressRule } from './model';

const malformed = (what: string) => new SourceError('malformed', what);

/**
 * IAM returns policy documents URL-encoded (RFC 3986) JSON; a recording may hold them decoded (an object) or encoded.
 * `what` names the policy in a message.
 */
export function policyDocumentFromAws(value: unknown, what: string): PolicyDocument {
  let doc: unknown = value;
  if (typeof value === 'string') {
    let text = value;
    try {
      text = decodeURIComponent(value);
    } catch {
      // Not URL-encoded: the JSON itself.
    }
    try {
      doc = JSON.parse(text);
    } catch {
      throw malformed(`${what}: the policy document is not JSON`);
    }
  }
  const statement = (doc as { Statement?: unknown } | null)?.Statement;
  if (typeof doc !== 'object' || doc === null || typeof statement !== 'object' || statement === null) {
    throw malformed(`${what}: a policy document needs a "Statement"`);
  }
  return doc as PolicyDocument;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const list = (v: unknown): Array<Record<string, unknown>> =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

/** EC2's `IpProtocol`: `-1`, a name, or a number as text (`6`). */
function protocolOf(value: unknown): string {
  const p = String(value ?? '-1').toLowerCase();
  return /^\d+$/.test(p) ? protocolName(Number(p)) : p;
}

/** One security group, its egress permissions flattened to one rule per destination. */
export function securityGroupFromAws(raw: unknown): SecurityGroup {
  const g = (raw ?? {}) as Record<string, unknown>;
  const groupId = str(g.GroupId);
  if (!groupId) throw malformed('a security group without "GroupId"');
  const egress: SecurityGroupEgressRule[] = [];
  for (const perm of list(g.IpPermissionsEgress)) {
    const base = { groupId, protocol: protocolOf(perm.IpProtocol), fromPort: num(perm.FromPort), toPort: num(perm.ToPort) };
    const described = (d: unknown) => (str(d) ? { description: str(d) } : {});
    for (const r of list(perm.IpRanges))
      if (str(r.CidrIp)) egress.push({ ...base, destination: { kind: 'cidr', cidr: str(r.CidrIp)! }, ...described(r.Description) });
    for (const r of list(perm.Ipv6Ranges))
      if (str(r.CidrIpv6)) egress.push({ ...base, destination: { kind: 'cidr', cidr: str(r.CidrIpv6)! }, ...described(r.Description) });
    for (const r of list(perm.PrefixListIds))
      if (str(r.PrefixListId))
        egress.push({ ...base, destination: { kind: 'prefix-list', prefixListId: str(r.PrefixListId)! }, ...described(r.Description) });
    for (const r of list(perm.UserIdGroupPairs))
      if (str(r.GroupId))
        egress.push({ ...base, destination: { kind: 'security-group', groupId: str(r.GroupId)! }, ...described(r.Description) });
  }
  return {
    groupId,
    ...(str(g.GroupName) ? { groupName: str(g.GroupName) } : {}),
    ...(str(g.VpcId) ? { vpcId: str(g.VpcId) } : {}),
    egress,
  };
}
