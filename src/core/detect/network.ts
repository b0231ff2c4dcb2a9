// A function's network peers from flow aggregates, and what is new or abnormal about them: new peers, rejected traffic, traffic spikes.
// A peer is one remote address, port and protocol, or, for an AWS service whose addresses rotate, the service, region, port and protocol.
import type { AwsService, PeerIdentity } from '../inventory/resources';
import { HOUR_MS } from '../time';
import {
  peerSubject,
  protocolName,
  serviceSubject,
  toIso,
  type EpochMs,
  type FlowAggregate,
  type PeerReport,
  type TrafficCounts,
} from '../model';
import type { DraftFinding } from './draft';
import { mean } from './stats';

/** Ports whose first use is worth a high-severity look: remote shells, remote desktops, classic backdoor ports. */
const SENSITIVE_PORTS = new Set([22, 23, 135, 139, 445, 1337, 3389, 4444, 5555, 5900, 5985, 5986, 6667, 31337]);
const SPIKE_RATIO_TO_MEAN = 5;
const SPIKE_RATIO_TO_MAX = 2;
const SPIKE_MIN_EXCESS_BYTES = 5 * 1024 * 1024;
const SAMPLES_IN_EVIDENCE = 3;
/** Addresses of a service peer kept in its report and its findings' evidence. */
const SAMPLE_ADDRESSES = 5;

interface Counts {
  flows: number;
  bytes: number;
  packets: number;
  rejected: number;
  first: EpochMs;
  last: EpochMs;
}

export interface PeerTraffic {
  /** The remote address; for a service peer, the first one seen (its report names the busiest: see serviceAddresses). */
  address: string;
  port: number;
  protocol: number;
  /** Set for an AWS service behind rotating addresses: the peer is that service in that region, on this port and protocol. */
  service?: AwsService;
  /** For a service peer: flows per distinct remote address, in each window. */
  addressFlows?: { baseline: Map<string, number>; detect: Map<string, number> };
  /** The service a flow record's `pkt-*-aws-service` named for the address, when one did (it names the peer without ip-ranges). */
  recordService?: string;
  baseline: Counts;
  detect: Counts;
  detectAccepted: number;
  /** Bytes per baseline day (index 0 = first day). */
  baselineDailyBytes: Float64Array;
  /** Hours (epoch ms) of the detection window in which records were seen. */
  detectHours: Set<EpochMs>;
  /** The functions that may own this traffic: more than one when it came through a shared ENI. */
  candidates: Set<string>;
  /** The detection window's rows that brought raw lines: the evidence is taken from them in time order (see `peerSamples`). */
  sampleRows: Array<{ hour: EpochMs; first: EpochMs; eniId: string; samples: readonly string[] }>;
}

/**
 * The peer's first raw lines in time order (hour, first record, ENI), whatever order its rows arrived in: a source that
 * reads its newest objects first and a cache that hands hours over oldest first give the same evidence.
 */
export function peerSamples(p: PeerTraffic, limit: number): string[] {
  const rows = [...p.sampleRows].sort(
    (a, b) => a.hour - b.hour || a.first - b.first || (a.eniId < b.eniId ? -1 : a.eniId > b.eniId ? 1 : 0),
  );
  const out: string[] = [];
  for (const r of rows) for (const s of r.samples) if (out.length < limit) out.push(s);
  return out;
}

const emptyCounts = (): Counts => ({ flows: 0, bytes: 0, packets: 0, rejected: 0, first: Infinity, last: -Infinity });

/** Which AWS service with rotating addresses a remote address (and the service its flow record named) belongs to, if any. */
export type ServiceOf = (address: string, recordService: string | undefined) => AwsService | undefined;

export class FunctionTrafficBuilder {
  /** By subject: `address:port/protocol`, or `aws:<SERVICE>:<region>:<port>/<protocol>` for a service peer. */
  readonly peers = new Map<string, PeerTraffic>();

  constructor(
    private readonly baselineStart: EpochMs,
    private readonly detectStart: EpochMs,
    /** Without it, every address is a peer of its own. */
    private readonly serviceOf?: ServiceOf,
  ) {}

  add(row: FlowAggregate, candidates: readonly string[]): void {
    const service = this.serviceOf?.(row.remoteAddress, row.remoteService);
    const key = service
      ? serviceSubject(service.name, service.region, row.remotePort, row.protocol)
      : peerSubject(row.remoteAddress, row.remotePort, row.protocol);
    let p = this.peers.get(key);
    if (!p) {
      const days = Math.max(1, Math.round((this.detectStart - this.baselineStart) / (24 * HOUR_MS)));
      p = {
        address: row.remoteAddress,
        port: row.remotePort,
        protocol: row.protocol,
        ...(service ? { service, addressFlows: { baseline: new Map(), detect: new Map() } } : {}),
        baseline: emptyCounts(),
        detect: emptyCounts(),
        detectAccepted: 0,
        baselineDailyBytes: new Float64Array(days),
        detectHours: new Set(),
        candidates: new Set(),
        sampleRows: [],
      };
      this.peers.set(key, p);
    }
    for (const c of candidates) p.candidates.add(c);
    if (row.remoteService && !p.recordService) p.recordService = row.remoteService;
    const inDetect = row.hour >= this.detectStart;
    if (p.addressFlows) {
      const flows = inDetect ? p.addressFlows.detect : p.addressFlows.baseline;
      flows.set(row.remoteAddress, (flows.get(row.remoteAddress) ?? 0) + row.flows);
    }
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
      if (row.samples?.length) p.sampleRows.push({ hour: row.hour, first: row.first, eniId: row.eniId, samples: row.samples });
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

/**
 * A service peer's addresses: how many distinct ones in each window, and the busiest few (the detection window's first,
 * then the baseline's), most flows first. Undefined for an address peer.
 */
export function serviceAddresses(p: PeerTraffic): { baseline: number; detect: number; samples: string[] } | undefined {
  if (!p.addressFlows) return undefined;
  const busiest = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([a]) => a);
  const samples = [...new Set([...busiest(p.addressFlows.detect), ...busiest(p.addressFlows.baseline)])].slice(0, SAMPLE_ADDRESSES);
  return { baseline: p.addressFlows.baseline.size, detect: p.addressFlows.detect.size, samples };
}

export function peerReport(p: PeerTraffic, resource: string, functionName: string): PeerReport {
  const shared = p.candidates.size > 1 || !p.candidates.has(functionName);
  const addresses = serviceAddresses(p);
  return {
    address: addresses?.samples[0] ?? p.address,
    port: p.port,
    protocol: protocolName(p.protocol),
    resource,
    inBaseline: p.baseline.flows > 0,
    ...counts(p.detect),
    ...(p.baseline.flows ? { baseline: counts(p.baseline) } : {}),
    attribution: shared ? 'shared' : 'exact',
    ...(shared ? { candidates: [...p.candidates].sort() } : {}),
    ...(p.service && addresses ? { service: { name: p.service.name, region: p.service.region }, addresses } : {}),
  };
}

/** The subject of a peer's findings: the same as its report's (peerReportSubject). */
export function peerTrafficSubject(p: PeerTraffic): string {
  return p.service ? serviceSubject(p.service.name, p.service.region, p.port, p.protocol) : peerSubject(p.address, p.port, p.protocol);
}

function plural(n: number, word: string, words = `${word}es`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/**
 * Findings about one peer of one function; attribution is settled by the caller. `invocationGrowth` is how
 * many times its usual daily invocations the function (or the busiest function sharing the ENI) ran in the
 * detection window: traffic that only grows with the invocations is part of that, not a spike of its own.
 */
export function peerFindings(p: PeerTraffic, identity: PeerIdentity, detectHours: number, invocationGrowth = 1): DraftFinding[] {
  const out: DraftFinding[] = [];
  const { resource } = identity;
  const subject = peerTrafficSubject(p);
  const external = identity.origin === 'external';
  const sensitive = SENSITIVE_PORTS.has(p.port);
  const port = `port ${p.port}/${protocolName(p.protocol)}`;
  const addresses = serviceAddresses(p);
  // A service peer is named by its service (`AWS S3 (us-east-1) port 443/tcp`), an address peer by its address.
  const where = addresses ? `${resource} ${port}` : `${p.address} ${port}`;
  const peerName = addresses ? where : `${resource}, ${where}`;
  const addressNote = addresses ? ` (${plural(addresses.detect, 'address')})` : '';
  const addressEvidence = addresses
    ? { addresses: addresses.detect, baselineAddresses: addresses.baseline, sampleAddresses: addresses.samples }
    : {};
  const samples = peerSamples(p, SAMPLES_IN_EVIDENCE);
  const d = p.detect;

  if (p.detectAccepted > 0 && p.baseline.flows === 0) {
    out.push({
      kind: 'new-peer',
      subject,
      severity: external || sensitive ? 'high' : 'medium',
      title: addresses ? `New peer: ${peerName}, ${plural(addresses.detect, 'address')}` : `New peer: ${peerName}`,
      detail:
        (addresses
          ? `The function connected to ${resource} on ${port} ${p.detectAccepted} time(s) since ${toIso(d.first)}, over ${plural(addresses.detect, 'address')}` +
            ` (${addresses.samples.slice(0, 3).join(', ')}), and never reached that service in that region on that port in the baseline.`
          : `The function connected to ${where} (${resource}) ${p.detectAccepted} time(s) since ${toIso(d.first)}, and never in the baseline.`) +
        (sensitive ? ` Port ${p.port} is a remote-access or backdoor port that application code rarely needs.` : '') +
        (external ? ' The address is outside the VPC and not an AWS service.' : '') +
        (identity.origin === 'unclassified-public'
          ? " The address is public; without AWS's ip-ranges document the scan cannot tell whether it belongs to an AWS service."
          : ''),
      recommendation: 'Find the code path that opens this connection; if it is expected (a new dependency), accept it as normal.',
      evidence: {
        firstSeen: toIso(d.first),
        lastSeen: toIso(d.last),
        flows: d.flows,
        bytes: d.bytes,
        packets: d.packets,
        ...addressEvidence,
        samples,
      },
    });
  }

  const baseRejectedPerHour = p.baseline.rejected / Math.max(1, p.baselineDailyBytes.length * 24);
  if (d.rejected > 0 && d.rejected >= 5 * baseRejectedPerHour * detectHours + (p.baseline.rejected ? 10 : 0)) {
    out.push({
      kind: 'rejected-traffic',
      subject,
      severity: external || sensitive ? 'high' : 'medium',
      title: `Rejected traffic to ${peerName}`,
      detail:
        `${d.rejected} connection(s) from the function to ${where}${addressNote} were rejected by a security group or network ACL since ${toIso(d.first)}` +
        (p.baseline.rejected ? ` (${p.baseline.rejected} in the whole baseline).` : '; none were rejected in the baseline.') +
        ' Code trying to reach something the network forbids is either misconfigured or probing.',
      recommendation: 'Check which code path makes the connection and whether the security groups changed.',
      evidence: {
        firstSeen: toIso(d.first),
        lastSeen: toIso(d.last),
        rejected: d.rejected,
        baselineRejected: p.baseline.rejected,
        ...addressEvidence,
        samples,
      },
    });
  }

  if (p.baseline.flows > 0 && d.bytes > 0) {
    const perDay = d.bytes * (24 / detectHours);
    const daily = Array.from(p.baselineDailyBytes);
    const baseMean = mean(daily);
    const baseMax = Math.max(...daily);
    const explained = perDay <= SPIKE_RATIO_TO_MAX * Math.max(1, invocationGrowth) * baseMean;
    if (
      !explained &&
      perDay >= SPIKE_RATIO_TO_MEAN * baseMean &&
      perDay >= SPIKE_RATIO_TO_MAX * baseMax &&
      perDay - baseMean >= SPIKE_MIN_EXCESS_BYTES
    ) {
      out.push({
        kind: 'traffic-spike',
        subject,
        severity: external ? 'high' : 'medium',
        title: `Traffic to ${resource} ${Math.round(perDay / Math.max(baseMean, 1))}× its daily baseline`,
        detail: `${fmtBytes(d.bytes)} went to ${where}${addressNote} in the detection window; the baseline averages ${fmtBytes(baseMean)} a day (busiest day ${fmtBytes(baseMax)}).`,
        recommendation: 'Large transfers to a known peer can be a bulk job or data leaving: check what the function sent.',
        evidence: {
          firstSeen: toIso(d.first),
          lastSeen: toIso(d.last),
          bytes: d.bytes,
          baselineDailyMeanBytes: Math.round(baseMean),
          baselineMaxDayBytes: baseMax,
          ...addressEvidence,
          samples,
        },
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
