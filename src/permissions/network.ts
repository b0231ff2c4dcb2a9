// Network, allowed against used: the function's security-group egress rules against the peers it reached, and the rules it needs.
import * as ipaddr from 'ipaddr.js';
import { peerReportSubject, type PeerReport } from '../core/model';
import type {
  CurrentEgressJudgement,
  NetworkProposal,
  PrefixListInfo,
  ProposedEgressRule,
  SecurityGroup,
  SecurityGroupEgressRule,
} from './model';

/** The AWS services with an AWS-managed prefix list (gateway endpoints), as ip-ranges names them. */
const PREFIX_LIST_SERVICES: Readonly<Record<string, string>> = { S3: 's3', DYNAMODB: 'dynamodb' };

/** `com.amazonaws.us-east-1.s3`: the AWS-managed prefix list of a service, when it has one. */
export function servicePrefixListName(service: string, region: string): string | undefined {
  const key = PREFIX_LIST_SERVICES[service.toUpperCase()];
  return key ? `com.amazonaws.${region}.${key}` : undefined;
}

const protocolMatches = (rule: string, peer: string) => rule === '-1' || rule === 'all' || rule === peer;

function portMatches(rule: SecurityGroupEgressRule, port: number): boolean {
  if (rule.protocol === '-1' || rule.fromPort === undefined || rule.toPort === undefined) return true;
  // EC2 writes -1 for "all ports" of ICMP.
  if (rule.fromPort === -1) return true;
  return port >= rule.fromPort && port <= rule.toPort;
}

function cidrContains(cidr: string, address: string): boolean {
  try {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    const addr = ipaddr.parse(address);
    return addr.kind() === net.kind() && addr.match(net, bits);
  } catch {
    return false;
  }
}

/** Whether a rule lets this peer through; undefined when it cannot tell (a rule to a security group, an unnamed prefix list). */
export function ruleAllows(rule: SecurityGroupEgressRule, peer: PeerReport, prefixLists: readonly PrefixListInfo[]): boolean | undefined {
  if (!protocolMatches(rule.protocol, peer.protocol) || !portMatches(rule, peer.port)) return false;
  const d = rule.destination;
  if (d.kind === 'cidr') {
    // A service peer's addresses rotate: only an all-addresses rule surely covers every one of them.
    if (peer.service) return /^(0\.0\.0\.0|::)\/0$/.test(d.cidr) ? true : undefined;
    return cidrContains(d.cidr, peer.address);
  }
  if (d.kind === 'prefix-list') {
    const name = d.name ?? prefixLists.find((p) => p.prefixListId === d.prefixListId)?.name;
    if (!name) return undefined;
    return peer.service ? name === servicePrefixListName(peer.service.name, peer.service.region) : undefined;
  }
  return undefined;
}

function proposedFor(peer: PeerReport, prefixLists: readonly PrefixListInfo[]): ProposedEgressRule['destination'] {
  if (peer.service) {
    const name = servicePrefixListName(peer.service.name, peer.service.region);
    if (name) {
      const known = prefixLists.find((p) => p.name === name);
      return { kind: 'prefix-list', name, ...(known ? { prefixListId: known.prefixListId } : {}) };
    }
    return { kind: 'service', service: peer.service.name, region: peer.service.region };
  }
  return { kind: 'cidr', cidr: `${peer.address}/${peer.address.includes(':') ? 128 : 32}` };
}

const destinationKey = (d: ProposedEgressRule['destination']) =>
  d.kind === 'cidr' ? d.cidr : d.kind === 'prefix-list' ? d.name : `aws:${d.service}:${d.region}`;

/** A peer the function really exchanged traffic with: some flow, in either window, was accepted. */
function reached(peer: PeerReport): boolean {
  return peer.flows - peer.rejected > 0 || (peer.baseline !== undefined && peer.baseline.flows - peer.baseline.rejected > 0);
}

export interface NetworkInput {
  securityGroupIds: readonly string[];
  groups: readonly SecurityGroup[];
  peers: readonly PeerReport[];
  prefixLists?: readonly PrefixListInfo[];
}

/** The function's egress rules, which peers each lets through, and one proposed rule per destination, port and protocol reached. */
export function proposeEgress(input: NetworkInput): NetworkProposal {
  const prefixLists = input.prefixLists ?? [];
  const notes: string[] = [];
  const rules = input.groups.filter((g) => input.securityGroupIds.includes(g.groupId)).flatMap((g) => g.egress);
  const missing = input.securityGroupIds.filter((id) => !input.groups.some((g) => g.groupId === id));
  if (missing.length) notes.push(`Security group(s) not found: ${missing.join(', ')}: their rules are not judged.`);
  const peers = input.peers.filter(reached);
  const rejected = input.peers.filter((p) => !reached(p)).map(peerReportSubject);
  if (rejected.length) notes.push(`Only rejected traffic, so no rule proposed: ${rejected.join(', ')}.`);

  const current: CurrentEgressJudgement[] = rules.map((rule) => ({
    rule,
    usedBy: peers.filter((p) => ruleAllows(rule, p, prefixLists) === true).map(peerReportSubject),
  }));
  const undecided = rules.filter(
    (r) =>
      r.destination.kind === 'security-group' ||
      (r.destination.kind === 'prefix-list' &&
        !r.destination.name &&
        !prefixLists.some((p) => p.prefixListId === (r.destination as { prefixListId: string }).prefixListId)),
  );
  if (undecided.length)
    notes.push(
      `${undecided.length} rule(s) to a security group or an unnamed prefix list are not judged: which addresses they cover is not known here.`,
    );

  const proposed = new Map<string, ProposedEgressRule>();
  for (const peer of peers) {
    const destination = proposedFor(peer, prefixLists);
    const key = `${destinationKey(destination)}|${peer.port}|${peer.protocol}`;
    const rule = proposed.get(key) ?? { protocol: peer.protocol, port: peer.port, destination, peers: [], allowedNow: false };
    rule.peers.push(peerReportSubject(peer));
    rule.allowedNow ||= rules.some((r) => ruleAllows(r, peer, prefixLists) === true);
    proposed.set(key, rule);
  }
  const list = [...proposed.values()].sort(
    (a, b) => destinationKey(a.destination).localeCompare(destinationKey(b.destination)) || a.port - b.port,
  );
  if (list.some((r) => r.destination.kind === 'service')) {
    notes.push(
      'A service without an AWS-managed prefix list (only S3 and DynamoDB have one) is reached through a VPC interface endpoint (allow its security group) or its published ip-ranges.',
    );
  }
  if (list.some((r) => r.destination.kind === 'prefix-list' && !r.destination.prefixListId)) {
    notes.push('Prefix list ids differ per account and region: look them up with `aws ec2 describe-managed-prefix-lists`.');
  }
  return { securityGroupIds: [...input.securityGroupIds], current, proposed: list, notes };
}
