// The user's rules applied to a finished report: peers and API calls to ignore (settings, `--ignore-peer`), and accepted findings.
import * as ipaddr from 'ipaddr.js';
import { isAccepted, type AcceptedBehaviour } from './accepted';
import { peerReportSubject, type Finding, type FindingKind, type FunctionReport, type PeerReport, type ScanReport } from './model';
import { InputError } from './ports';

export interface IgnoreRules {
  /**
   * An address, a CIDR (`10.0.0.0/16`), `address:port/protocol` (`10.0.1.5:22/tcp`), or an AWS service peer's subject with
   * `*` as a wildcard (`aws:S3:*`, `aws:DYNAMODB:us-east-1:443/tcp`): a service peer has many addresses, so only its
   * subject names it.
   */
  peers?: readonly string[];
  /** `eventSource:eventName`, `*` matching any run of characters (`s3.amazonaws.com:*`, `*:Describe*`). */
  apiCalls?: readonly string[];
}

/** Subjects of AWS service peers start so (`aws:S3:us-east-1:443/tcp`). */
const SERVICE_PREFIX = 'aws:';
const PEER_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['new-peer', 'rejected-traffic', 'traffic-spike']);
const API_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(['new-api-call', 'access-denied']);

type PeerRule = (address: string, port: number, protocol: string) => boolean;
/** A peer as the report holds it: an address, or an AWS service (then its subject is the service's). */
type PeerLike = Pick<PeerReport, 'address' | 'port' | 'protocol' | 'service'>;

/** Peers and API calls the user does not want to see; built once per scan so that a bad rule fails before any AWS call. */
export class IgnoreMatcher {
  private readonly peerRules: PeerRule[];
  private readonly serviceRules: RegExp[];
  private readonly apiRules: RegExp[];

  constructor(rules: IgnoreRules, origin = 'ignore rules') {
    const peers = (rules.peers ?? []).map((r) => r.trim());
    this.peerRules = peers.filter((r) => !r.startsWith(SERVICE_PREFIX)).map((r) => peerRule(r, origin));
    this.serviceRules = peers.filter((r) => r.startsWith(SERVICE_PREFIX)).map(globRule);
    this.apiRules = (rules.apiCalls ?? []).map((r) => apiRule(r.trim(), origin));
  }

  get empty(): boolean {
    return this.peerRules.length === 0 && this.serviceRules.length === 0 && this.apiRules.length === 0;
  }

  /** Whether a peer of the report is ignored: an AWS service peer by its subject, any other by its address. */
  peer(p: PeerLike): boolean {
    if (p.service) return this.service(peerReportSubject(p));
    return this.peerRules.some((rule) => rule(p.address, p.port, p.protocol));
  }

  private service(subject: string): boolean {
    return this.serviceRules.some((rule) => rule.test(subject));
  }

  apiCall(eventSource: string, eventName: string): boolean {
    const subject = `${eventSource}:${eventName}`;
    return this.apiRules.some((rule) => rule.test(subject));
  }

  /** Whether a finding is about an ignored peer or call (its subject says which). */
  finding(f: Pick<Finding, 'kind' | 'subject'>): boolean {
    if (PEER_KINDS.has(f.kind)) {
      if (f.subject.startsWith(SERVICE_PREFIX)) return this.service(f.subject);
      const peer = parsePeerSubject(f.subject);
      return peer !== undefined && this.peerRules.some((rule) => rule(peer.address, peer.port, peer.protocol));
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
      peers: ignore ? fn.peers.filter((p) => !ignore.peer(p)) : fn.peers,
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
  return globRule(rule);
}

/** `*` matches any run of characters; everything else is itself, case-insensitively. */
function globRule(rule: string): RegExp {
  const pattern = rule
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 'i');
}
