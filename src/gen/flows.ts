// Streams the VPC flow log: each function's conversations on its ENIs (egress and return records), their other side on peer ENIs, NODATA/SKIPDATA, and the injected anomalies.
import { dirname, join } from 'node:path';
import { endpointFor, eniShare, unevenEnis } from './account';
import type { NetInjection } from './anomalies';
import { makeFormatter, SERVICE_FIELDS, type FlowRec, type Formatter } from './flowformat';
import type { FunctionSeries } from './metrics';
import type { Account, Conversation, Eni, FunctionSpec, GenOptions, PeerEndpoint, Span } from './model';
import type { Rng } from './random';
import { SIZES, type SizeProfile } from './sizes';
import { HOUR_S, weeklyHours } from './time';
import { LineSink } from './write';

export interface FlowStats {
  /** Every line written. */
  records: number;
  /** Traffic records (egress and return) on Lambda ENIs. */
  lambdaTraffic: number;
  nodata: number;
  lambdaEnis: number;
  /** Lines of the subnet flow log, when the account has one (its records are also in the VPC's). */
  subnetRecords?: number;
}

interface Stream {
  fn: FunctionSpec;
  conv: Conversation;
  /** Connections per invocation that land on this ENI (the function spreads over all its ENIs). */
  weight: number;
  /** The function spreads unevenly or over time (a replaced ENI, an AZ failover): `weight` is then per function, times eniShare. */
  uneven: boolean;
}

/** Share of empty ten-minute intervals that yield a NODATA record; shorter intervals yield proportionally fewer per interval. */
const NODATA_SHARE = 0.25;

class Emitter {
  readonly rec: FlowRec;
  lambdaTraffic = 0;
  nodata = 0;
  /** Per ENI and interval of the current hour: did anything get logged? */
  readonly marks: Uint8Array;
  hourStart = 0;
  /** The AWS service behind the current connection's peer address ('-': none), for the v5 pkt-*-aws-service fields. */
  private service = '-';
  private servicePeer = '';

  constructor(
    private readonly sink: LineSink,
    private readonly format: Formatter,
    private readonly rng: Rng,
    private readonly account: Account,
    private readonly interval: number,
    private readonly peerSide: boolean,
  ) {
    this.marks = new Uint8Array(account.enis.length * (HOUR_S / interval));
    const anyEni = account.enis[0] as Eni;
    this.rec = {
      eni: anyEni,
      srcaddr: '',
      dstaddr: '',
      srcport: 0,
      dstport: 0,
      pktSrc: '',
      pktDst: '',
      protocol: 6,
      packets: 0,
      bytes: 0,
      start: 0,
      end: 0,
      action: 'ACCEPT',
      status: 'OK',
      tcpFlags: 0,
      direction: 'egress',
      trafficPath: '-',
      pktSrcService: '-',
      pktDstService: '-',
    };
  }

  private put(
    eni: Eni,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    packets: number,
    bytes: number,
    direction: 'ingress' | 'egress',
    flags: number,
    path: string,
    pktSrc = src,
    pktDst = dst,
  ): void {
    const r = this.rec;
    r.eni = eni;
    r.srcaddr = src;
    r.srcport = sport;
    r.dstaddr = dst;
    r.dstport = dport;
    r.pktSrc = pktSrc;
    r.pktDst = pktDst;
    r.packets = packets;
    r.bytes = bytes;
    r.direction = direction;
    r.tcpFlags = flags;
    r.trafficPath = path;
    r.pktSrcService = src === this.servicePeer ? this.service : '-';
    r.pktDstService = dst === this.servicePeer ? this.service : '-';
    this.format(r, this.sink);
    this.marks[eni.index * (HOUR_S / this.interval) + Math.floor((r.start - this.hourStart) / this.interval)] = 1;
  }

  /**
   * One TCP connection opened from `eni` (Lambda's NAT is one-way: functions always start it),
   * logged as flow logs aggregate it: both directions within one aggregation interval.
   */
  connection(
    eni: Eni,
    t0: number,
    peerIp: string,
    port: number,
    peerEni: Eni | undefined,
    viaNat: boolean,
    size: SizeProfile,
    action: 'ACCEPT' | 'REJECT',
    service = '-',
  ): void {
    const rng = this.rng;
    const r = this.rec;
    this.service = service;
    this.servicePeer = service === '-' ? '' : peerIp;
    const intervalEnd = t0 - (t0 % this.interval) + this.interval - 1;
    r.start = t0;
    r.end = Math.min(intervalEnd, t0 + rng.int(size.duration[0], size.duration[1]));
    r.action = action;
    r.status = 'OK';
    r.protocol = 6;
    const eph = rng.int(32768, 60999);
    const reqPackets = rng.int(size.reqPackets[0], size.reqPackets[1]);
    const reqBytes = reqPackets * rng.int(size.reqBytesPerPacket[0], size.reqBytesPerPacket[1]);
    if (action === 'REJECT') {
      // The function's own security group dropped the SYNs: nothing left the ENI, nothing came back.
      this.put(eni, eni.ip, eph, peerIp, port, reqPackets, reqBytes, 'egress', 2, '1');
      this.lambdaTraffic++;
      return;
    }
    const respPackets = rng.int(size.respPackets[0], size.respPackets[1]);
    const respBytes = respPackets * rng.int(size.respBytesPerPacket[0], size.respBytesPerPacket[1]);
    this.put(eni, eni.ip, eph, peerIp, port, reqPackets, reqBytes, 'egress', 3, '1');
    this.put(eni, peerIp, port, eni.ip, eph, respPackets, respBytes, 'ingress', 19, '-');
    this.lambdaTraffic += 2;
    if (!this.peerSide) return;
    if (peerEni) {
      this.put(peerEni, eni.ip, eph, peerIp, port, reqPackets, reqBytes, 'ingress', 3, '-');
      this.put(peerEni, peerIp, port, eni.ip, eph, respPackets, respBytes, 'egress', 19, '1');
    } else if (viaNat) {
      this.natLegs(eni.ip, eph, peerIp, port, reqPackets, reqBytes, respPackets, respBytes);
    }
  }

  /** What the NAT gateway's ENI logs for a connection it translates: the private leg and the public one. */
  natLegs(
    fromIp: string,
    fromPort: number,
    peerIp: string,
    port: number,
    reqPackets: number,
    reqBytes: number,
    respPackets: number,
    respBytes: number,
  ): void {
    const nat = this.account.nat;
    const natPort = this.rng.int(1024, 65535);
    this.put(nat, fromIp, fromPort, peerIp, port, reqPackets, reqBytes, 'ingress', 3, '-');
    this.put(nat, peerIp, port, fromIp, fromPort, respPackets, respBytes, 'egress', 19, '1');
    this.put(nat, nat.ip, natPort, peerIp, port, reqPackets, reqBytes, 'egress', 3, '8');
    this.put(nat, peerIp, port, nat.ip, natPort, respPackets, respBytes, 'ingress', 19, '-');
  }

  /** Traffic of the VPC's other tenants (the ops host), which a VPC-wide flow log also holds. */
  background(t0: number): void {
    const rng = this.rng;
    const r = this.rec;
    this.service = '-';
    this.servicePeer = '';
    const ec2 = this.account.ec2;
    const pg = this.account.peers.get('pg')?.endpoints[0];
    r.start = t0;
    r.end = Math.min(t0 - (t0 % this.interval) + this.interval - 1, t0 + rng.int(0, 30));
    r.action = 'ACCEPT';
    r.status = 'OK';
    const eph = rng.int(32768, 60999);
    const a = rng.int(3, 20);
    const b = rng.int(3, 30);
    if (pg?.eni && rng.chance(0.8)) {
      const ab = a * rng.int(60, 200);
      const bb = b * rng.int(90, 1200);
      this.put(ec2, ec2.ip, eph, pg.ip, 5432, a, ab, 'egress', 3, '1');
      this.put(ec2, pg.ip, 5432, ec2.ip, eph, b, bb, 'ingress', 19, '-');
      this.put(pg.eni, ec2.ip, eph, pg.ip, 5432, a, ab, 'ingress', 3, '-');
      this.put(pg.eni, pg.ip, 5432, ec2.ip, eph, b, bb, 'egress', 19, '1');
    } else {
      const mirror = `52.216.${rng.int(0, 255)}.${rng.int(1, 254)}`;
      const ab = a * rng.int(80, 300);
      const bb = b * rng.int(300, 1400);
      this.put(ec2, ec2.ip, eph, mirror, 443, a, ab, 'egress', 3, '1');
      this.put(ec2, mirror, 443, ec2.ip, eph, b, bb, 'ingress', 19, '-');
      this.natLegs(ec2.ip, eph, mirror, 443, a, ab, b, bb);
    }
  }

  /** Closes an hour: intervals in which an ENI logged nothing sometimes yield a NODATA record; SKIPDATA now and then. */
  statusRecords(enis: readonly Eni[]): void {
    const rng = this.rng;
    const r = this.rec;
    const perHour = HOUR_S / this.interval;
    const skipShare = 0.0003 * (this.interval / 600);
    const nodataShare = NODATA_SHARE * (this.interval / 600);
    for (const eni of enis) {
      // An ENI logs nothing before it exists or after Lambda deleted it.
      if (
        (eni.activeFrom !== undefined && this.hourStart + HOUR_S <= eni.activeFrom) ||
        (eni.deletedAt !== undefined && this.hourStart >= eni.deletedAt)
      )
        continue;
      const base = eni.index * perHour;
      for (let i = 0; i < perHour; i++) {
        const empty = this.marks[base + i] === 0;
        const roll = rng.float();
        let status: FlowRec['status'] | undefined;
        if (roll < skipShare) status = 'SKIPDATA';
        else if (empty && roll < nodataShare) status = 'NODATA';
        if (!status) continue;
        r.eni = eni;
        r.status = status;
        r.start = this.hourStart + i * this.interval;
        r.end = r.start + this.interval - 1;
        this.format(r, this.sink);
        if (status === 'NODATA') this.nodata++;
      }
    }
    this.marks.fill(0);
  }
}

function pickStream(streams: Stream[], rates: Float64Array, total: number, rng: Rng): Stream {
  let u = rng.float() * total;
  for (let i = 0; i < streams.length; i++) {
    u -= rates[i] ?? 0;
    if (u < 0) return streams[i] as Stream;
  }
  return streams[streams.length - 1] as Stream;
}

export async function writeFlows(
  path: string,
  opts: GenOptions,
  account: Account,
  span: Span,
  series: FunctionSeries[],
  net: NetInjection[],
  rng: Rng,
): Promise<FlowStats> {
  const sink = new LineSink(path, opts.gzip);
  const ctx = { accountId: account.accountId, vpcId: account.vpcId, region: account.region };
  const primary = makeFormatter(opts.format, ctx);
  let format: Formatter = primary;
  // A subnet flow log gets its subnet's records as well: AWS delivers a record to every flow log that covers the ENI.
  const subnetLog = account.subnetFlowLog;
  let subnetSink: LineSink | undefined;
  if (subnetLog) {
    const second = makeFormatter(SERVICE_FIELDS, ctx);
    const out = new LineSink(join(dirname(path), `${subnetLog.id}.log${opts.gzip ? '.gz' : ''}`), opts.gzip);
    subnetSink = out;
    format = (r, main) => {
      primary(r, main);
      if (r.eni.subnet === subnetLog.subnet) second(r, out);
    };
  }
  const em = new Emitter(sink, format, rng, account, opts.interval, opts.peerSide);
  const lambdaEnis = account.enis.filter((e) => e.type === 'lambda');
  const statusEnis = opts.peerSide ? account.enis : lambdaEnis;

  const streamsByEni = lambdaEnis.map((eni) => {
    const streams: Stream[] = [];
    for (const fn of eni.functions) {
      const uneven = unevenEnis(fn);
      for (const conv of fn.conversations)
        if (!conv.weekly) streams.push({ fn, conv, weight: uneven ? conv.perInvocation : conv.perInvocation / fn.enis.length, uneven });
    }
    return streams;
  });
  const inv = (fn: FunctionSpec, h: number) => (series[fn.index] as FunctionSeries).invocations[h] ?? 0;

  // --records-per-eni-hour: scale each ENI's connection rate so that its mean over the span hits the target, keeping its shape.
  const scale = lambdaEnis.map((_eni, i) => {
    if (!opts.recordsPerEniHour) return 1;
    let sum = 0;
    for (const s of streamsByEni[i] as Stream[]) for (let h = 0; h < span.hours; h++) sum += inv(s.fn, h) * s.weight;
    const mean = sum / span.hours;
    return mean > 0 ? opts.recordsPerEniHour / 2 / mean : 0;
  });

  const weeklyByHour = new Map<number, { fn: FunctionSpec; conv: Conversation }[]>();
  for (const fn of account.functions) {
    for (const conv of fn.conversations) {
      if (!conv.weekly) continue;
      for (const h of weeklyHours(span, conv.weekly.weekday, conv.weekly.hour)) {
        const list = weeklyByHour.get(h) ?? [];
        list.push({ fn, conv });
        weeklyByHour.set(h, list);
      }
    }
  }
  // Every peer a function reaches from an ENI is seen there at least once in the baseline, however short the
  // baseline and however rare the traffic: otherwise routine traffic would be a genuinely new peer the labels miss.
  const guaranteed = new Map<number, { eni: Eni; conv: Conversation; endpoint: PeerEndpoint }[]>();
  lambdaEnis.forEach((eni, e) => {
    for (const s of streamsByEni[e] as Stream[]) {
      const ran: number[] = [];
      for (let h = 0; h < span.detectHour; h++)
        if (inv(s.fn, h) > 0 && (!s.uneven || eniShare(s.fn, eni, span.start + h * HOUR_S) > 0)) ran.push(h);
      if (ran.length === 0 || (scale[e] ?? 1) === 0) continue;
      const endpoints = s.conv.peer.pick === 'rotate' ? s.conv.peer.endpoints : [endpointFor(s.conv.peer, eni, rng)];
      for (const endpoint of endpoints) {
        const h = rng.pick(ran);
        const list = guaranteed.get(h) ?? [];
        list.push({ eni, conv: s.conv, endpoint });
        guaranteed.set(h, list);
      }
    }
  });

  const injectedByHour = new Map<number, NetInjection[]>();
  for (const inj of net) {
    const h = Math.floor((inj.time - span.start) / HOUR_S);
    const list = injectedByHour.get(h) ?? [];
    list.push(inj);
    injectedByHour.set(h, list);
  }

  const rates = new Float64Array(Math.max(1, ...streamsByEni.map((s) => s.length)));
  for (let h = 0; h < span.hours; h++) {
    const hourStart = span.start + h * HOUR_S;
    em.hourStart = hourStart;
    for (let e = 0; e < lambdaEnis.length; e++) {
      const eni = lambdaEnis[e] as Eni;
      const streams = streamsByEni[e] as Stream[];
      const k = scale[e] ?? 1;
      let total = 0;
      for (let i = 0; i < streams.length; i++) {
        const s = streams[i] as Stream;
        const rate = inv(s.fn, h) * s.weight * k * (s.uneven ? eniShare(s.fn, eni, hourStart) : 1);
        rates[i] = rate;
        total += rate;
      }
      const n = rng.poisson(total);
      for (let c = 0; c < n; c++) {
        const s = pickStream(streams, rates, total, rng);
        const ep = endpointFor(s.conv.peer, eni, rng);
        em.connection(
          eni,
          hourStart + rng.int(0, HOUR_S - 1),
          ep.ip,
          s.conv.peer.port,
          ep.eni,
          s.conv.peer.viaNat,
          SIZES[s.conv.peer.kind],
          'ACCEPT',
          s.conv.peer.service,
        );
      }
    }
    for (const { eni, conv, endpoint } of guaranteed.get(h) ?? []) {
      em.connection(
        eni,
        hourStart + rng.int(0, HOUR_S - 1),
        endpoint.ip,
        conv.peer.port,
        endpoint.eni,
        conv.peer.viaNat,
        SIZES[conv.peer.kind],
        'ACCEPT',
        conv.peer.service,
      );
    }
    for (const { fn, conv } of weeklyByHour.get(h) ?? []) {
      for (let c = 0; c < (conv.weekly?.conversations ?? 1); c++) {
        const eni = rng.pick(fn.enis);
        const ep = endpointFor(conv.peer, eni, rng);
        em.connection(eni, hourStart + rng.int(0, 1800), ep.ip, conv.peer.port, ep.eni, conv.peer.viaNat, SIZES[conv.peer.kind], 'ACCEPT');
      }
    }
    for (const inj of injectedByHour.get(h) ?? []) {
      em.connection(inj.eni, inj.time, inj.peerIp, inj.peerPort, inj.peerEni, inj.viaNat, inj.size, inj.action);
    }
    if (opts.peerSide) {
      const n = rng.poisson(3);
      for (let c = 0; c < n; c++) em.background(hourStart + rng.int(0, HOUR_S - 1));
    }
    em.statusRecords(statusEnis);
    await sink.drain();
    await subnetSink?.drain();
  }
  await sink.close();
  const stats: FlowStats = { records: sink.lines, lambdaTraffic: em.lambdaTraffic, nodata: em.nodata, lambdaEnis: lambdaEnis.length };
  if (subnetSink) {
    await subnetSink.close();
    stats.subnetRecords = subnetSink.lines;
  }
  return stats;
}
