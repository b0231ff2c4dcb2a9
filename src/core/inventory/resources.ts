// Names a peer address (the resource behind it from the ENI inventory, an AWS service from ip-ranges or the flow record, or
// "external") and tells which addresses are an AWS service whose addresses rotate, to be one peer per service.
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
  if (d.startsWith('ElastiCache') || eni.requesterId === 'amazon-elasticache')
    return `ElastiCache (${d.replace(/^ElastiCache /, '') || eni.id})`;
  if (d.startsWith('ELB ') || eni.requesterId === 'amazon-elb') return `Load balancer (${d.replace(/^ELB /, '') || eni.id})`;
  if (d.startsWith('VPC Endpoint Interface')) return `VPC endpoint (${/vpce-[0-9a-f]+/.exec(d)?.[0] ?? eni.id})`;
  if (eni.instanceId) return `EC2 instance (${eni.instanceId})`;
  if (d === 'Primary network interface' || d === '') return `EC2 instance (${eni.id})`;
  return `ENI ${eni.id} (${d})`;
}

interface Range {
  bits: number;
  service: string;
  region: string;
}

/** Services whose addresses stay one peer each: anyone can rent an EC2 address, and AMAZON is every AWS address at once. */
const PER_ADDRESS_SERVICES: ReadonlySet<string> = new Set(['AMAZON', 'EC2']);

/**
 * True for an AWS service behind addresses that rotate (S3, DYNAMODB, CLOUDFRONT, API_GATEWAY, ...): its peers are one per
 * service, region, port and protocol. Not for `EC2` (a command-and-control server on EC2 is one address worth a finding) nor `AMAZON`.
 */
export function isRotatingService(service: string): boolean {
  return !PER_ADDRESS_SERVICES.has(service);
}

/** Of two entries for the same prefix: EC2 before any other name (it keeps peers per address), a named service before AMAZON. */
function preferred(a: Range, b: Range): Range {
  const rank = (r: Range) => (r.service === 'EC2' ? 0 : r.service === 'AMAZON' ? 2 : 1);
  return rank(b) < rank(a) ? b : a;
}

/**
 * One address family's prefixes: a map per prefix length from the network (the address shifted right past the host bits)
 * to its entry. A lookup tries the lengths present, longest first: a few map reads instead of a scan of every prefix.
 */
class PrefixTable<K extends number | bigint> {
  private readonly byLength = new Map<number, Map<K, Range>>();
  private lengths: number[] = [];
  size = 0;

  constructor(
    private readonly shift: (value: K, hostBits: number) => K,
    private readonly width: number,
  ) {}

  add(value: K, bits: number, service: string, region: string): void {
    let table = this.byLength.get(bits);
    if (!table) {
      this.byLength.set(bits, (table = new Map()));
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    const key = this.shift(value, this.width - bits);
    const entry: Range = { bits, service, region };
    const had = table.get(key);
    table.set(key, had ? preferred(had, entry) : entry);
    this.size++;
  }

  lookup(value: K): Range | undefined {
    for (const bits of this.lengths) {
      const hit = this.byLength.get(bits)!.get(this.shift(value, this.width - bits));
      if (hit) return hit;
    }
    return undefined;
  }
}

/** `>>>` keeps IPv4 values unsigned; shifting by 32 is not a shift in JavaScript, so /0 is spelled out. */
const shiftV4 = (value: number, hostBits: number): number => (hostBits >= 32 ? 0 : value >>> hostBits);
const shiftV6 = (value: bigint, hostBits: number): bigint => value >> BigInt(hostBits);

/**
 * AWS's published address ranges, looked up by longest prefix (for the same prefix: EC2, then another named service, then
 * AMAZON). The real document holds about 10,000 prefixes and a scan looks up tens of thousands of addresses.
 */
export class AwsIpRanges {
  private readonly v4 = new PrefixTable<number>(shiftV4, 32);
  private readonly v6 = new PrefixTable<bigint>(shiftV6, 128);

  constructor(doc: IpRangesDocument | undefined) {
    if (!doc) return;
    for (const p of doc.prefixes ?? []) this.add(p.ip_prefix, p.service, p.region);
    for (const p of doc.ipv6_prefixes ?? []) this.add(p.ipv6_prefix, p.service, p.region);
  }

  get loaded(): boolean {
    return this.v4.size + this.v6.size > 0;
  }

  lookup(address: string): { service: string; region: string } | undefined {
    const v4 = parseIpv4(address);
    let best: Range | undefined;
    if (v4 >= 0) best = this.v4.lookup(v4);
    else {
      let parsed: ipaddr.IPv4 | ipaddr.IPv6;
      try {
        parsed = ipaddr.parse(address);
      } catch {
        return undefined;
      }
      if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
      best = parsed.kind() === 'ipv4' ? this.v4.lookup(Number(toBigInt(parsed))) : this.v6.lookup(toBigInt(parsed));
    }
    return best && { service: best.service, region: best.region };
  }

  private add(cidr: string, service: string, region: string): void {
    try {
      const [addr, bits] = ipaddr.parseCIDR(cidr);
      if (addr.kind() === 'ipv4') this.v4.add(Number(toBigInt(addr)), bits, service, region);
      else this.v6.add(toBigInt(addr), bits, service, region);
    } catch {
      // A malformed prefix in the document names nothing: skip it.
    }
  }
}

/** A dotted-quad IPv4 address as an unsigned 32-bit value, or -1 for anything else (IPv6 goes through ipaddr.js). */
function parseIpv4(address: string): number {
  let value = 0;
  let part = -1;
  let parts = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46 /* . */) {
      if (part < 0 || ++parts > 3) return -1;
      value = value * 256 + part;
      part = -1;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros: ipaddr.js would read `010` as octal, and the document never writes one.
      if (part === 0) return -1;
      part = part < 0 ? c - 48 : part * 10 + c - 48;
      if (part > 255) return -1;
    } else return -1;
  }
  if (part < 0 || parts !== 3) return -1;
  return value * 256 + part;
}

function toBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let v = 0n;
  for (const b of addr.toByteArray()) v = (v << 8n) | BigInt(b);
  return v;
}

/** True for addresses that never leave a private network (RFC 1918, CGNAT, link-local, ULA, ...). */
const NON_ROUTED_RANGES = new Set([
  'private',
  'loopback',
  'linkLocal',
  'carrierGradeNat',
  'unspecified',
  'broadcast',
  'reserved',
  'multicast',
  'uniqueLocal',
]);

export function isPrivateAddress(address: string): boolean {
  try {
    // process() turns IPv4-mapped IPv6 into IPv4; NAT64 (rfc6052), 6to4 and Teredo addresses reach the internet.
    return NON_ROUTED_RANGES.has(ipaddr.process(address).range());
  } catch {
    return false;
  }
}

/** Where a peer's name came from, for code to branch on (severity, coverage); `resource` is the name for people. */
export type PeerOrigin =
  /** An ENI of the account's inventory or history: RDS, a VPC endpoint, another Lambda ENI, ... */
  | 'inventory'
  /** Inside AWS's published ranges, or named by the flow record's `pkt-*-aws-service`. */
  | 'aws'
  /** A private address that no known ENI held. */
  | 'private'
  /** A public address outside AWS's ranges. */
  | 'external'
  /** A public address, and no ip-ranges document to tell whether it is AWS's. */
  | 'unclassified-public';

export interface PeerIdentity {
  resource: string;
  origin: PeerOrigin;
}

/** An AWS service in one region, as a service peer names it. */
export interface AwsService {
  name: string;
  region: string;
}

/** The name of a public address when no ip-ranges document could be had: it may be AWS's, it may not. */
export const UNCLASSIFIED_PUBLIC_RESOURCE = 'public address (AWS ip-ranges unavailable)';

/** `AWS S3 (us-east-1)`, `AWS (us-east-1)` for AMAZON. */
export function awsResource(service: AwsService): string {
  return service.name === 'AMAZON' ? `AWS (${service.region})` : `AWS ${service.name} (${service.region})`;
}

/** Names peers and tells which addresses are an AWS service behind rotating addresses. */
export class PeerNamer {
  private readonly services = new Map<string, AwsService | null>();

  constructor(
    private readonly history: EniHistory,
    private readonly ipRanges: AwsIpRanges,
    /** The account's region: where a service named only by a flow record is taken to be. */
    private readonly homeRegion = 'unknown',
  ) {}

  /** False when no ip-ranges document was had: public addresses cannot be told from AWS services. */
  get ipRangesAvailable(): boolean {
    return this.ipRanges.loaded;
  }

  name(address: string, at: EpochMs, recordService?: string): string {
    return this.identify(address, at, recordService).resource;
  }

  /** `recordService`: the service a flow record's `pkt-*-aws-service` named for the address (not `-`). */
  identify(address: string, at: EpochMs, recordService?: string): PeerIdentity {
    const span = this.history.at(address, at) ?? this.history.history(address).at(-1);
    if (span) return { resource: describeResource(span.eni, span.functions), origin: 'inventory' };
    const ranges = this.ipRanges.lookup(address);
    const service = recordService ?? ranges?.service;
    if (service) return { resource: awsResource({ name: service, region: ranges?.region ?? this.homeRegion }), origin: 'aws' };
    if (isPrivateAddress(address)) return { resource: 'private address (not in the ENI inventory)', origin: 'private' };
    return this.ipRanges.loaded
      ? { resource: 'external', origin: 'external' }
      : { resource: UNCLASSIFIED_PUBLIC_RESOURCE, origin: 'unclassified-public' };
  }

  /**
   * The AWS service a remote address belongs to when that service's addresses rotate (see isRotatingService), from the
   * flow record's `pkt-*-aws-service` first, else ip-ranges; the region from ip-ranges, else the account's. Undefined for
   * everything that stays one peer per address: ENIs of the account, private addresses, EC2, AMAZON, the rest of the internet.
   */
  service(address: string, recordService?: string): AwsService | undefined {
    const key = recordService ? `${address} ${recordService}` : address;
    let found = this.services.get(key);
    if (found === undefined) {
      found = null;
      if (!isPrivateAddress(address) && this.history.history(address).length === 0) {
        const ranges = this.ipRanges.lookup(address);
        const name = recordService ?? ranges?.service;
        if (name && isRotatingService(name)) found = { name, region: ranges?.region ?? this.homeRegion };
      }
      this.services.set(key, found);
    }
    return found ?? undefined;
  }
}
