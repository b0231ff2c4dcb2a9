// The user's rules applied to a finished report: peers and API calls to ignore (settings, `--ignore-peer`), and accepted findings.
import * as ipaddr from 'ipaddr.js';
import { isAccepted, type AcceptedBehaviour } from './accepted';
import type { Finding, FindingKind, FunctionReport, ScanReport } from './model';
import { InputError } from './ports';

export interface IgnoreRules {
  /** An address, a CIDR (`10.0.0.0/16`), or `address:port/protocol` (`10.0.1.5:22/tcp`). */
  peers?: readonly string[];
  /** `eventSource:eventName`, `*` matching any run of characters (`s3.amazonaws.com:*`, `*:Describe*`). */
  apiCalls?: readonly string[];
}

const PEER_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['new-peer', 'rejected-traffic', 'traffic-spike']);
const API_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['new-api-call', 'access-denied']);

type PeerRule = (address: string, port: number, protocol: string) => boolean;

/** Peers and API calls the user does not want to see; built once per scan so that a bad rule fails before any AWS call. */
export class IgnoreMatcher {
  private readonly peerRules: PeerRule[];
  private readonly apiRules: RegExp[];

  constructor(rules: IgnoreRules, origin = 'ignore rules') {
    this.peerRules = (rules.peers ?? []).map((r) => peerRule(r.trim(), origin));
    this.apiRules = (rules.apiCalls ?? []).map((r) => apiRule(r.trim(), origin));
  }

  get empty(): boolean {
    return this.peerRules.length === 0 && this.apiRules.length === 0;
  }

  peer(address: string, port: number, protocol: string): boolean {
    return this.peerRules.some((rule) => rule(address, port, protocol));
  }

  apiCall(eventSource: string, eventName: string): boolean {
    const subject = `${eventSource}:${eventName}`;
    return this.apiRules.some((rule) => rule.test(subject));
  }

  /** Whether a finding is about an ignored peer or call (its subject says which). */
  finding(f: Pick<Finding, 'kind' | 'subject'>): boolean {
    if (PEER_KINDS.has(f.kind)) {
      const peer = parsePeerSubject(f.subject);
      return peer !== undefined && this.peer(peer.address, peer.port, peer.protocol);
    }
    if (API_KINDS.has(f.kind)) {
      const at = f.subject.indexOf(':');
      return at > 0 && this.apiCall(f.subject.slice(0, at), f.subject.slice(at + 1));
    }
    return false;
  }
}

/** The report without ignored peers, calls and the findings about them, and without accepted findings. */
export function applyUserRules(report: ScanReport, rules: { ignore?: IgnoreMatcher; accepted?: AcceptedBehaviour }): ScanReport {
  const { ignore, accepted } = rules;
  if ((!ignore || ignore.empty) && !accepted?.accepted.length) return report;
  const keep = (fn: FunctionReport, f: Finding) => !(ignore?.finding(f) ?? false) && !isAccepted(accepted, fn.name, f);
  return {
    ...report,
    functions: report.functions.map((fn) => ({
      ...fn,
      peers: ignore ? fn.peers.filter((p) => !ignore.peer(p.address, p.port, p.protocol)) : fn.peers,
      apiCalls: ignore ? fn.apiCalls.filter((c) => !ignore.apiCall(c.eventSource, c.eventName)) : fn.apiCalls,
      findings: fn.findings.filter((f) => keep(fn, f)),
    })),
  };
}

/** `10.0.1.5:22/tcp` and `[2600:1f18::1]:443/tcp` → parts; undefined when it is not of that form. */
function parsePeerSubject(subject: string): { address: string; port: number; protocol: string } | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)\/([a-z0-9]+)$/i.exec(subject);
  return m ? { address: m[1], port: Number(m[2]), protocol: m[3].toLowerCase() } : undefined;
}

function peerRule(rule: string, origin: string): PeerRule {
  const withPort = parsePeerSubject(rule);
  if (withPort) {
    const addressMatches = peerRule(withPort.address, origin);
    return (address, port, protocol) => port === withPort.port && protocol === withPort.protocol && addressMatches(address, port, protocol);
  }
  if (rule.includes('/')) {
    let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      range = ipaddr.parseCIDR(rule);
    } catch {
      throw new InputError(`${origin}: "${rule}" is not an address, a CIDR or address:port/protocol`);
    }
    return (address) => {
      try {
        const parsed = ipaddr.parse(address);
        return parsed.kind() === range[0].kind() && parsed.match(range);
      } catch {
        return false;
      }
    };
  }
  if (!ipaddr.isValid(rule)) throw new InputError(`${origin}: "${rule}" is not an address, a CIDR or address:port/protocol`);
  const wanted = ipaddr.parse(rule).toNormalizedString();
  return (address) => ipaddr.isValid(address) && ipaddr.parse(address).toNormalizedString() === wanted;
}

function apiRule(rule: string, origin: string): RegExp {
  if (!/^[^:\s]+:[^:\s]+$/.test(rule))
    throw new InputError(
      `${origin}: "${rule}" is not eventSource:eventName (for example s3.amazonaws.com:ListBuckets or s3.amazonaws.com:*)`,
    );
  const pattern = rule
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 'i');
}
