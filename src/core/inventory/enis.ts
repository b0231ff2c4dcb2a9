// Which ENIs are Lambda's, and which functions each one serves (subnet + exact security-group set, as AWS's Lambda ENI Finder does).
import type { EniReport, EpochMs, LambdaFunction, NetworkInterface } from '../model';

const HYPERPLANE_PREFIX = 'AWS Lambda VPC ENI-';
const LEGACY_PREFIX = 'AWS Lambda VPC ENI:';

export interface LambdaEni {
  eni: NetworkInterface;
  /** Functions whose VpcConfig has this ENI's subnet and exactly its security groups. */
  functions: string[];
  /** Created before Hyperplane (2019): one ENI per function execution environment. */
  legacy: boolean;
  /** The function named in the description: only the one that caused the ENI's creation. */
  createdFor?: string;
  /** When Lambda created it and deleted it (CloudTrail), when known. */
  created?: EpochMs;
  deleted?: EpochMs;
  /** How it was tied to its functions; absent means EC2's inventory (`mapLambdaEnis`). */
  attributedBy?: EniReport['attributedBy'];
}

export function isLambdaEni(eni: NetworkInterface): boolean {
  return eni.type === 'lambda' || eni.description.startsWith(HYPERPLANE_PREFIX) || eni.description.startsWith(LEGACY_PREFIX);
}

/** The function named in a Hyperplane description `AWS Lambda VPC ENI-<function>-<uuid>`. */
export function functionNamedInDescription(description: string): string | undefined {
  if (!description.startsWith(HYPERPLANE_PREFIX)) return undefined;
  const rest = description.slice(HYPERPLANE_PREFIX.length);
  const m = /^(.+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.exec(rest);
  return m ? m[1] : undefined;
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

/**
 * Maps every Lambda ENI to the functions it serves. A Hyperplane ENI is shared by all functions with
 * that subnet and security-group set; the description names only the first. A legacy ENI belongs to the
 * function in its requester id (`<role id>:<function>`) when that is one of the candidates.
 */
export function mapLambdaEnis(enis: readonly NetworkInterface[], functions: readonly LambdaFunction[]): LambdaEni[] {
  const names = new Set(functions.map((f) => f.name));
  return enis.filter(isLambdaEni).map((eni) => {
    const legacy = eni.type !== 'lambda' && eni.description.startsWith(LEGACY_PREFIX);
    let candidates = functions
      .filter((f) => f.vpc && f.vpc.subnetIds.includes(eni.subnetId) && sameSet(f.vpc.securityGroupIds, eni.securityGroupIds))
      .map((f) => f.name);
    const createdFor = functionNamedInDescription(eni.description);
    if (legacy && eni.requesterId) {
      const owner = eni.requesterId.slice(eni.requesterId.lastIndexOf(':') + 1);
      if (candidates.includes(owner)) candidates = [owner];
    }
    // No function has this configuration any more (changed or removed): the description is the best hint left.
    if (candidates.length === 0 && createdFor && names.has(createdFor)) candidates = [createdFor];
    return { eni, functions: candidates.sort(), legacy, createdFor };
  });
}
