// ENI lifetimes from CloudTrail (CreateNetworkInterface / DeleteNetworkInterface), and the functions an ENI that no longer exists served.
import type { EpochMs, LambdaFunction, NetworkInterface, TrailEvent } from '../model';
import type { VpcPeriod } from '../trail/function-changes';
import { functionNamedInDescription, isLambdaEni, sameSet, type LambdaEni } from './enis';

const LAMBDA_SERVICE_SESSION = /^awslambda_/;

/** One ENI from its creation to its deletion, as CloudTrail tells it. */
export interface EniLifetime {
  id: string;
  created?: EpochMs;
  deleted?: EpochMs;
  /** The interface as its CreateNetworkInterface response described it (`since` is its creation). */
  eni: NetworkInterface;
  /** The role whose `awslambda_…` session created it: Lambda acting for the functions with that execution role. */
  creatingRole?: string;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
/** CloudTrail writes EC2 lists as `{ items: [...] }` (or `{ item: [...] }`). */
const items = (v: unknown): Json[] => {
  const o = obj(v);
  const list = Array.isArray(o.items) ? o.items : Array.isArray(o.item) ? o.item : [];
  return list.map(obj);
};

/** The lifetimes the events tell, by ENI id: failed calls are left out, a repeated event counts once. */
export function eniLifetimes(events: Iterable<TrailEvent>): Map<string, EniLifetime> {
  const out = new Map<string, EniLifetime>();
  const deletions = new Map<string, EpochMs>();
  for (const e of events) {
    if (e.errorCode) continue;
    if (e.eventName === 'DeleteNetworkInterface') {
      const id = str(e.requestParameters?.networkInterfaceId);
      if (id) deletions.set(id, Math.min(deletions.get(id) ?? Infinity, e.eventTime));
      continue;
    }
    if (e.eventName !== 'CreateNetworkInterface') continue;
    const ni = obj(e.responseElements?.networkInterface);
    const id = str(ni.networkInterfaceId);
    if (!id) continue;
    const request = e.requestParameters ?? {};
    const primary = str(ni.privateIpAddress);
    const privateIps = [
      ...new Set([
        ...(primary ? [primary] : []),
        ...items(ni.privateIpAddressesSet)
          .map((p) => str(p.privateIpAddress))
          .filter((x): x is string => !!x),
      ]),
    ];
    const groups = items(ni.groupSet)
      .map((g) => str(g.groupId))
      .filter((x): x is string => !!x);
    const requestedGroups = items(request.groupSet)
      .map((g) => str(g.groupId))
      .filter((x): x is string => !!x);
    const eni: NetworkInterface = {
      id,
      type: str(ni.interfaceType) ?? 'interface',
      description: str(ni.description) ?? str(request.description) ?? '',
      subnetId: str(ni.subnetId) ?? str(request.subnetId) ?? '',
      vpcId: str(ni.vpcId) ?? '',
      securityGroupIds: groups.length ? groups : requestedGroups,
      privateIps,
      ipv6Ips: items(ni.ipv6AddressesSet)
        .map((p) => str(p.ipv6Address))
        .filter((x): x is string => !!x),
      ...(str(ni.requesterId) ? { requesterId: str(ni.requesterId) } : {}),
      since: e.eventTime,
    };
    const creatingRole = e.sessionName && LAMBDA_SERVICE_SESSION.test(e.sessionName) ? e.roleName : undefined;
    const known = out.get(id);
    // Two creations of one id cannot both be right: the earlier is the ENI's.
    if (!known || e.eventTime < (known.created ?? Infinity))
      out.set(id, { id, created: e.eventTime, eni, ...(creatingRole ? { creatingRole } : {}) });
  }
  for (const [id, t] of deletions) {
    const l = out.get(id);
    if (l && t >= (l.created ?? -Infinity)) l.deleted = t;
  }
  return out;
}

/** How an ENI that no longer exists is tied to functions, and to which. */
export interface LifetimeAttribution {
  functions: string[];
  attributedBy: 'configuration-history' | 'creating-role';
}

/**
 * The functions an ENI served while it existed. First the functions whose VPC configuration had the ENI's subnet and
 * exactly its security groups at some time in its life (as EC2's inventory ties a current ENI, but in time); else
 * the function its description names, if that function's execution role is the one whose Lambda session created it.
 */
export function attributeLifetime(
  l: EniLifetime,
  functions: readonly LambdaFunction[],
  periodsOf: (fn: LambdaFunction) => readonly VpcPeriod[],
): LifetimeAttribution | undefined {
  if (!isLambdaEni(l.eni)) return undefined;
  const from = l.created ?? -Infinity;
  const to = l.deleted ?? Infinity;
  const byConfiguration = functions
    .filter((f) =>
      periodsOf(f).some(
        (p) =>
          p.vpc &&
          p.from < to &&
          from < p.to &&
          p.vpc.subnetIds.includes(l.eni.subnetId) &&
          sameSet(p.vpc.securityGroupIds, l.eni.securityGroupIds),
      ),
    )
    .map((f) => f.name);
  if (byConfiguration.length) return { functions: byConfiguration.sort(), attributedBy: 'configuration-history' };
  const named = functionNamedInDescription(l.eni.description);
  const fn = named !== undefined ? functions.find((f) => f.name === named) : undefined;
  if (fn && l.creatingRole && roleName(fn.role) === l.creatingRole) return { functions: [fn.name], attributedBy: 'creating-role' };
  return undefined;
}

/** A Lambda ENI of the scan built from a lifetime, for ENIs EC2 no longer lists. */
export function lifetimeEni(l: EniLifetime, attribution: LifetimeAttribution): LambdaEni {
  return {
    eni: l.eni,
    functions: attribution.functions,
    legacy: false,
    createdFor: functionNamedInDescription(l.eni.description),
    ...(l.created !== undefined ? { created: l.created } : {}),
    ...(l.deleted !== undefined ? { deleted: l.deleted } : {}),
    attributedBy: attribution.attributedBy,
  };
}

/** `arn:aws:iam::<account>:role/<path/><name>` → `<name>`, as an assumed-role ARN names it. */
function roleName(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}
