// A function's network peers from flow aggregates, and what is new or abnormal about them: new peers, rejected traffic, traffic spikes.
import { isPrivateAddress } from '../inventory/resources';
import { HOUR_MS } from '../time';
import { peerSubject, protocolName, toIso, type EpochMs, type FlowAggregate, type PeerReport, type TrafficCounts } from '../model';
import type { DraftFinding } from './draft';
import { mean } from './stats';

/** Ports whose first use is worth a high-severity look: remote shells, remote desktops, classic backdoor ports. */
const SENSITIVE_PORTS = new Set([22, 23, 135, 139, 445, 1337, 3389, 4444, 5555, 5900, 5985, 5986, 6667, 31337]);
const SPIKE_RATIO_TO_MEAN = 5;
const SPIKE_RATIO_TO_MAX = 2;
const SPIKE_MIN_EXCESS_BYTES = 5 * 1024 * 1024;
const SAMPLES_IN_EVIDENCE = 3;

interface Counts {
  flows: number;
  bytes: number;
  packets: number;
  rejected: number;
  first: EpochMs;
  last: EpochMs;
}

export interface PeerTraffic {
  address: string;
  port: number;
  protocol: number;
  baseline: Counts;
  detect: Counts;
  detectAccepted: number;
  /** Bytes per baseline day (index 0 = first day). */
  baselineDailyBytes: Float64Array;
  /** Hours (epoch ms) of the detection window in which records were seen. */
  detectHours: Set<EpochMs>;
  /** The functions that may own this traffic: more than one when it came through a shared ENI. */
  candidates: Set<string>;
  samples: string[];
}

const emptyCounts = (): Counts => ({ flows: 0, bytes: 0, packets: 0, rejected: 0, first: Infinity, last: -Infinity });

export class FunctionTrafficBuilder {
  readonly peers = new Map<string, PeerTraffic>();

  constructor(
    private readonly baselineStart: EpochMs,
    private readonly detectStart: EpochMs,
  ) {}

  add(row: FlowAggregate, candidates: readonly string[]): void {
    const key = peerSubject(row.remoteAddress, row.remotePort, row.protocol);
    let p = this.peers.get(key);
    if (!p) {
      const days = Math.max(1, Math.round((this.detectStart - this.baselineStart) / (24 * HOUR_MS)));
      p = {
        address: row.remoteAddress, port: row.remotePort, protocol: row.protocol,
        baseline: emptyCounts(), detect: emptyCounts(), detectAccepted: 0,
        baselineDailyBytes: new Float64Array(days), detectHours: new Set(), candidates: new Set(), samples: [],
      };
      this.peers.set(key, p);
    }
    for (const c of candidates) p.candidates.add(c);
    const inDetect = row.hour >= this.detectStart;
    const c = inDetect ? p.detect : p.baseline;
    c.flows += row.flows;
    c.bytes += row.bytes;
    c.packets += row.packets;
    if (row.action === 'REJECT') c.rejected += row.flows;
    c.first = Math.min(c.first, row.first);
    c.last = Math.max(c.last, row.last);
    if (inDetect) {
      p.detectHours.add(row.hour);
      if (row.action === 'ACCEPT') p.detectAccepted += row.flows;
      for (const s of row.samples ?? []) if (p.samples.length < 12) p.samples.push(s);
    } else {
      const day = Math.floor((row.hour - this.baselineStart) / (24 * HOUR_MS));
      if (day >= 0 && day < p.baselineDailyBytes.length) p.baselineDailyBytes[day] += row.bytes;
    }
  }
}

function counts(c: Counts): TrafficCounts {
  return {
    flows: c.flows,
    bytes: c.bytes,
    packets: c.packets,
    rejected: c.rejected,
    ...(c.flows ? { firstSeen: toIso(c.first), lastSeen: toIso(c.last) } : {}),
  };
}

export function peerReport(p: PeerTraffic, resource: string, functionName: string): PeerReport {
  const shared = p.candidates.size > 1 || !p.candidates.has(functionName);
  return {
    address: p.address,
    port: p.port,
    protocol: protocolName(p.protocol),
    resource,
    inBaseline: p.baseline.flows > 0,
    ...counts(p.detect),
    ...(p.baseline.flows ? { baseline: counts(p.baseline) } : {}),
    attribution: shared ? 'shared' : 'exact',
    ...(shared ? { candidates: [...p.candidates].sort() } : {}),
  };
}

/**
 * Findings about one peer of one function; attribution is settled by the caller. `invocationGrowth` is how
 * many times its usual daily invocations the function (or the busiest function sharing the ENI) ran in the
 * detection window: traffic that only grows with the invocations is part of that, not a spike of its own.
 */
export function peerFindings(p: PeerTraffic, resource: string, detectHours: number, invocationGrowth = 1): DraftFinding[] {
  const out: DraftFinding[] = [];
  const subject = peerSubject(p.address, p.port, p.protocol);
  const external = !isPrivateAddress(p.address) && !resource.startsWith('AWS');
  const sensitive = SENSITIVE_PORTS.has(p.port);
  const where = `${p.address} port ${p.port}/${protocolName(p.protocol)}`;
  const samples = p.samples.slice(0, SAMPLES_IN_EVIDENCE);
  const d = p.detect;

  if (p.detectAccepted > 0 && p.baseline.flows === 0) {
    out.push({
      kind: 'new-peer',
      subject,
      severity: external || sensitive ? 'high' : 'medium',
      title: `New peer: ${resource}, ${where}`,
      detail:
        `The function connected to ${where} (${resource}) ${p.detectAccepted} time(s) since ${toIso(d.first)}, ` +
        `and never in the baseline.` +
        (sensitive ? ` Port ${p.port} is a remote-access or backdoor port that application code rarely needs.` : '') +
        (external ? ' The address is outside the VPC and not an AWS service.' : ''),
      recommendation: 'Find the code path that opens this connection; if it is expected (a new dependency), accept it as normal.',
      evidence: { firstSeen: toIso(d.first), lastSeen: toIso(d.last), flows: d.flows, bytes: d.bytes, packets: d.packets, samples },
    });
  }

  const baseRejectedPerHour = p.baseline.rejected / Math.max(1, p.baselineDailyBytes.length * 24);
  if (d.rejected > 0 && d.rejected >= 5 * baseRejectedPerHour * detectHours + (p.baseline.rejected ? 10 : 0)) {
    out.push({
      kind: 'rejected-traffic',
      subject,
      severity: external || sensitive ? 'high' : 'medium',
      title: `Rejected traffic to ${resource}, ${where}`,
      detail:
        `${d.rejected} connection(s) from the function to ${where} were rejected by a security group or network ACL since ${toIso(d.first)}` +
        (p.baseline.rejected ? ` (${p.baseline.rejected} in the whole baseline).` : '; none were rejected in the baseline.') +
        ' Code trying to reach something the network forbids is either misconfigured or probing.',
      recommendation: 'Check which code path makes the connection and whether the security groups changed.',
      evidence: { firstSeen: toIso(d.first), lastSeen: toIso(d.last), rejected: d.rejected, baselineRejected: p.baseline.rejected, samples },
    });
  }

  if (p.baseline.flows > 0 && d.bytes > 0) {
    const perDay = d.bytes * (24 / detectHours);
    const daily = Array.from(p.baselineDailyBytes);
    const baseMean = mean(daily);
    const baseMax = Math.max(...daily);
    const explained = perDay <= SPIKE_RATIO_TO_MAX * Math.max(1, invocationGrowth) * baseMean;
    if (!explained && perDay >= SPIKE_RATIO_TO_MEAN * baseMean && perDay >= SPIKE_RATIO_TO_MAX * baseMax && perDay - baseMean >= SPIKE_MIN_EXCESS_BYTES) {
      out.push({
        kind: 'traffic-spike',
        subject,
        severity: external ? 'high' : 'medium',
        title: `Traffic to ${resource} ${Math.round(perDay / Math.max(baseMean, 1))}× its daily baseline`,
        detail: `${fmtBytes(d.bytes)} went to ${where} in the detection window; the baseline averages ${fmtBytes(baseMean)} a day (busiest day ${fmtBytes(baseMax)}).`,
        recommendation: 'Large transfers to a known peer can be a bulk job or data leaving: check what the function sent.',
        evidence: { firstSeen: toIso(d.first), lastSeen: toIso(d.last), bytes: d.bytes, baselineDailyMeanBytes: Math.round(baseMean), baselineMaxDayBytes: baseMax, samples },
      });
    }
  }
  return out;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
