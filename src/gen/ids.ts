// AWS-shaped identifiers and addresses drawn from the seeded stream: resource ids, role ids, access keys, MACs, public IPs.
import type { Rng } from './random';

/** `vpc-`, `subnet-`, `eni-`... followed by 17 hex digits, the current EC2 id length. */
export function resourceId(rng: Rng, prefix: string): string {
  return `${prefix}-${rng.hex(17)}`;
}

export function accountId(rng: Rng): string {
  return `${rng.int(1, 9)}${String(rng.int(0, 99999)).padStart(5, '0')}${String(rng.int(0, 999999)).padStart(6, '0')}`;
}

/** IAM role unique id: AROA and 17 more characters. */
export function roleId(rng: Rng): string {
  return `AROA${rng.upperAlnum(17)}`;
}

/** Temporary (STS) access key id. */
export function sessionAccessKey(rng: Rng): string {
  return `ASIA${rng.upperAlnum(16)}`;
}

export function macAddress(rng: Rng): string {
  const first = rng.pick(['02', '06', '0a', '0e', '12', '16', '1a', '1e']);
  const rest = Array.from({ length: 5 }, () => rng.int(0, 255).toString(16).padStart(2, '0'));
  return [first, ...rest].join(':');
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** A host address in `block` (`a.b` or `a.b.c`), never the network or broadcast address. */
export function addressIn(rng: Rng, block: string): string {
  const octets = block.split('.');
  while (octets.length < 3) octets.push(String(rng.int(0, 255)));
  return `${octets.join('.')}.${rng.int(1, 254)}`;
}

/** A host address inside `cidr` (`a.b.c.d/n`, n at most 30): never the network or broadcast address. */
export function addressInCidr(rng: Rng, cidr: string): string {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return intToIp(ipToInt(base ?? '0.0.0.0') + rng.int(1, size - 2));
}

/** Blocks where AWS-hosted SaaS APIs and Lambda's own public egress live (EC2 ranges). */
export const AWS_HOSTED_BLOCKS = ['54.187', '52.88', '34.200', '18.211', '44.226', '35.168'];
export const LAMBDA_EGRESS_BLOCKS = ['3.91', '3.92', '3.95', '3.81', '3.88', '54.160', '34.228', '52.206'];
/** Hosting ranges that show up in abuse reports: what a compromised function phones home to. */
export const SUSPICIOUS_BLOCKS = ['185.220.101', '45.155.205', '193.142.146', '91.219.236', '194.26.29', '89.248.165'];
