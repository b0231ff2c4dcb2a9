// Names a peer address: the resource behind it from the ENI inventory, an AWS service from ip-ranges, or "external".
import * as ipaddr from 'ipaddr.js';
import type { EpochMs, NetworkInterface } from '../model';
import type { IpRangesDocument } from '../ports';
import type { EniHistory } from './history';

/** A human name for what an ENI is, from its type, requester and description. */
export function describeResource(eni: NetworkInterface, lambdaFunctions: readonly string[] = []): string {
  const d = eni.description;
  switch (eni.type) {
    case 'lambda':
      return `Lambda ENI (${lambdaFunctions.length ? lambdaFunctions.join(', ') : d})`;
    case 'nat_gateway':
      return `NAT gateway (${/nat-[0-9a-f]+/.exec(d)?.[0] ?? eni.id})`;
    case 'vpc_endpoint':
    case 'gateway_load_balancer_endpoint':
      return `VPC endpoint (${/vpce-[0-9a-f]+/.exec(d)?.[0] ?? eni.id})`;
    case 'network_load_balancer':
    case 'gateway_load_balancer':
      return `Load balancer (${d.replace(/^ELB /, '')})`;
  }
  if (d.startsWith('AWS Lambda VPC ENI')) return `Lambda ENI (${lambdaFunctions.join(', ') || d})`;
  if (d.startsWith('RDSNetworkInterface') || eni.requesterId === 'amazon-rds') return `RDS (${d || eni.id})`;
  if (d.startsWith('ElastiCache') || eni.requesterId === 'amazon-elasticache') return `ElastiCache (${d.replace(/^ElastiCache /, '') || eni.id})`;
  if (d.startsWith('ELB ') || eni.requesterId === 'amazon-elb') return `Load balancer (${d.replace(/^ELB /, '') || eni.id})`;
  if (d.startsWith('VPC Endpoint Interface')) return `VPC endpoint (${/vpce-[0-9a-f]+/.exec(d)?.[0] ?? eni.id})`;
  if (eni.instanceId) return `EC2 instance (${eni.instanceId})`;
  if (d === 'Primary network interface' || d === '') return `EC2 instance (${eni.id})`;
  return `ENI ${eni.id} (${d})`;
}

interface Range {
  first: bigint;
  last: bigint;
  bits: number;
  service: string;
  region: string;
}

/** AWS's published address ranges, looked up by longest prefix, preferring a named service over AMAZON. */
export class AwsIpRanges {
  private readonly v4: Range[] = [];
  private readonly v6: Range[] = [];

  constructor(doc: IpRangesDocument | undefined) {
    if (!doc) return;
    for (const p of doc.prefixes ?? []) this.add(this.v4, p.ip_prefix, p.service, p.region);
    for (const p of doc.ipv6_prefixes ?? []) this.add(this.v6, p.ipv6_prefix, p.service, p.region);
  }

  get loaded(): boolean {
    return this.v4.length + this.v6.length > 0;
  }

  lookup(address: string): { service: string; region: string } | undefined {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.parse(address);
    } catch {
      return undefined;
    }
    const value = toBigInt(parsed);
    const ranges = parsed.kind() === 'ipv4' ? this.v4 : this.v6;
    let best: Range | undefined;
    for (const r of ranges) {
      if (value < r.first || value > r.last) continue;
      if (!best || r.bits > best.bits || (r.bits === best.bits && best.service === 'AMAZON' && r.service !== 'AMAZON')) best = r;
    }
    return best && { service: best.service, region: best.region };
  }

  private add(into: Range[], cidr: string, service: string, region: string): void {
    try {
      const [addr, bits] = ipaddr.parseCIDR(cidr);
      const width = addr.kind() === 'ipv4' ? 32 : 128;
      const base = toBigInt(addr);
      const size = 1n << BigInt(width - bits);
      const first = (base / size) * size;
      into.push({ first, last: first + size - 1n, bits, service, region });
    } catch {
      // A malformed prefix in the document names nothing: skip it.
    }
  }
}

function toBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let v = 0n;
  for (const b of addr.toByteArray()) v = (v << 8n) | BigInt(b);
  return v;
}

/** True for addresses that never leave a private network (RFC 1918, CGNAT, link-local, ULA, ...). */
const NON_ROUTED_RANGES = new Set([
  'private', 'loopback', 'linkLocal', 'carrierGradeNat', 'unspecified', 'broadcast', 'reserved', 'multicast', 'uniqueLocal',
]);

export function isPrivateAddress(address: string): boolean {
  try {
    // process() turns IPv4-mapped IPv6 into IPv4; NAT64 (rfc6052), 6to4 and Teredo addresses reach the internet.
    return NON_ROUTED_RANGES.has(ipaddr.process(address).range());
  } catch {
    return false;
  }
}

/** Names peers; results are cached per address and time-span. */
export class PeerNamer {
  constructor(
    private readonly history: EniHistory,
    private readonly ipRanges: AwsIpRanges,
  ) {}

  name(address: string, at: EpochMs): string {
    const span = this.history.at(address, at) ?? this.history.history(address).at(-1);
    if (span) return describeResource(span.eni, span.functions);
    const aws = this.ipRanges.lookup(address);
    if (aws) return aws.service === 'AMAZON' ? `AWS (${aws.region})` : `AWS ${aws.service} (${aws.region})`;
    return isPrivateAddress(address) ? 'private address (not in the ENI inventory)' : 'external';
  }
}
