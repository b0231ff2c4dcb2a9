// Network detection: per-function peer traffic, peer reports, and new-peer / rejected-traffic / traffic-spike findings.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { FunctionTrafficBuilder, peerFindings, peerReport, peerSamples, type PeerTraffic } from '../../src/core/detect/network';
import type { PeerIdentity, PeerOrigin } from '../../src/core/inventory/resources';
import type { FlowAggregate } from '../../src/core/model';

const H = 3_600_000;
const DAY = 24 * H;
const DETECT = Date.UTC(2026, 10, 22);
const BASE = DETECT - 7 * DAY;
const MIB = 1024 * 1024;
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function row(over: Partial<FlowAggregate> & { hour: number }): FlowAggregate {
  return {
    eniId: 'eni-1',
    remoteAddress: '10.0.3.14',
    remotePort: 5432,
    protocol: 6,
    action: 'ACCEPT',
    flows: 1,
    packets: 10,
    bytes: 1000,
    first: over.hour + 60_000,
    last: over.hour + 120_000,
    ...over,
  };
}

function build(rows: FlowAggregate[], candidates: string[] = ['fn']): PeerTraffic[] {
  const b = new FunctionTrafficBuilder(BASE, DETECT);
  for (const r of rows) b.add(r, candidates);
  return [...b.peers.values()];
}

function one(rows: FlowAggregate[], candidates?: string[]): PeerTraffic {
  const peers = build(rows, candidates);
  assert.equal(peers.length, 1);
  return peers[0];
}

/** A peer's name as PeerNamer gives it: `external` and `AWS …` by their words here, anything else from the inventory. */
function named(resource: string, origin?: PeerOrigin): PeerIdentity {
  return { resource, origin: origin ?? (resource === 'external' ? 'external' : resource.startsWith('AWS') ? 'aws' : 'inventory') };
}

const kinds = (p: PeerTraffic, resource = 'RDS (RDSNetworkInterface)', origin?: PeerOrigin) =>
  peerFindings(p, named(resource, origin), 24).map((f) => `${f.kind} ${f.severity}`);

describe('FunctionTrafficBuilder', () => {
  test('rows of one peer split into baseline and detection counts', () => {
    const p = one([
      row({ hour: BASE + 2 * H, flows: 2, bytes: 100, packets: 3 }),
      row({ hour: BASE + 3 * DAY, flows: 1, bytes: 50, action: 'REJECT' }),
      row({ hour: DETECT, flows: 4, bytes: 400, packets: 8 }),
      row({ hour: DETECT + 5 * H, flows: 1, bytes: 10, action: 'REJECT', samples: ['raw line'] }),
    ]);
    assert.deepEqual([p.address, p.port, p.protocol], ['10.0.3.14', 5432, 6]);
    assert.deepEqual([p.baseline.flows, p.baseline.bytes, p.baseline.packets, p.baseline.rejected], [3, 150, 13, 1]);
    assert.deepEqual([p.detect.flows, p.detect.bytes, p.detect.packets, p.detect.rejected], [5, 410, 18, 1]);
    assert.equal(p.detectAccepted, 4);
    assert.deepEqual([...p.detectHours].sort(), [DETECT, DETECT + 5 * H]);
    assert.equal(p.baselineDailyBytes.length, 7);
    assert.equal(p.baselineDailyBytes[0], 100);
    assert.equal(p.baselineDailyBytes[3], 50);
    assert.deepEqual(peerSamples(p, 12), ['raw line']);
    assert.equal(p.detect.first, DETECT + 60_000);
    assert.equal(p.detect.last, DETECT + 5 * H + 120_000);
  });

  test('peers are address, port and protocol; candidates add up over rows', () => {
    const b = new FunctionTrafficBuilder(BASE, DETECT);
    b.add(row({ hour: DETECT }), ['a']);
    b.add(row({ hour: DETECT, eniId: 'eni-2' }), ['a', 'b']);
    b.add(row({ hour: DETECT, remotePort: 5433 }), ['a']);
    b.add(row({ hour: DETECT, protocol: 17 }), ['a']);
    assert.deepEqual([...b.peers.keys()].sort(), ['10.0.3.14:5432/tcp', '10.0.3.14:5432/udp', '10.0.3.14:5433/tcp']);
    assert.deepEqual([...b.peers.get('10.0.3.14:5432/tcp')!.candidates].sort(), ['a', 'b']);
    assert.equal(b.peers.get('10.0.3.14:5432/tcp')!.detect.flows, 2);
  });
});

describe('peerReport', () => {
  test('counts, times and the baseline block', () => {
    const p = one([row({ hour: BASE + H, flows: 2 }), row({ hour: DETECT + H, flows: 3, bytes: 3000, action: 'ACCEPT' })]);
    const r = peerReport(p, 'RDS (RDSNetworkInterface)', 'fn');
    assert.equal(r.address, '10.0.3.14');
    assert.equal(r.port, 5432);
    assert.equal(r.protocol, 'tcp');
    assert.equal(r.resource, 'RDS (RDSNetworkInterface)');
    assert.equal(r.inBaseline, true);
    assert.equal(r.flows, 3);
    assert.equal(r.bytes, 3000);
    assert.equal(r.firstSeen, iso(DETECT + H + 60_000));
    assert.equal(r.lastSeen, iso(DETECT + H + 120_000));
    assert.equal(r.baseline?.flows, 2);
    assert.equal(r.attribution, 'exact');
    assert.equal(r.candidates, undefined);
  });

  test('a peer seen only in the baseline has no detection times', () => {
    const r = peerReport(one([row({ hour: BASE + H })]), 'x', 'fn');
    assert.equal(r.flows, 0);
    assert.equal(r.firstSeen, undefined);
    assert.equal(r.inBaseline, true);
  });

  test('a peer seen through a shared ENI is shared with its candidates', () => {
    const r = peerReport(one([row({ hour: DETECT })], ['zeta', 'fn']), 'x', 'fn');
    assert.equal(r.attribution, 'shared');
    assert.deepEqual(r.candidates, ['fn', 'zeta']);
    assert.equal(r.inBaseline, false);
    assert.equal(r.baseline, undefined);
  });
});

describe('peerFindings: new peers', () => {
  test('a peer reached only in the detection window is a new peer; a known one is not', () => {
    assert.deepEqual(kinds(one([row({ hour: DETECT + H })])), ['new-peer medium']);
    assert.deepEqual(kinds(one([row({ hour: BASE + 6 * DAY }), row({ hour: DETECT + H })])), []);
  });

  test('the finding carries the subject, times, counts and samples', () => {
    const [f] = peerFindings(
      one([row({ hour: DETECT + H, flows: 3, samples: ['a', 'b', 'c', 'd'] })]),
      named('RDS (RDSNetworkInterface)'),
      24,
    );
    assert.equal(f.subject, '10.0.3.14:5432/tcp');
    assert.equal(f.evidence.firstSeen, iso(DETECT + H + 60_000));
    assert.equal(f.evidence.flows, 3);
    assert.ok((f.evidence.samples as string[]).length >= 1 && (f.evidence.samples as string[]).length <= 4);
    assert.match(f.title, /RDS/);
  });

  test('external addresses and remote-access ports are high severity; AWS services and private peers medium', () => {
    assert.deepEqual(kinds(one([row({ hour: DETECT, remoteAddress: '185.220.101.45', remotePort: 443 })]), 'external'), ['new-peer high']);
    assert.deepEqual(kinds(one([row({ hour: DETECT, remoteAddress: '10.0.1.37', remotePort: 22 })]), 'EC2 instance (i-1)'), [
      'new-peer high',
    ]);
    assert.deepEqual(kinds(one([row({ hour: DETECT, remoteAddress: '10.0.1.37', remotePort: 3389 })]), 'EC2 instance (i-1)'), [
      'new-peer high',
    ]);
    assert.deepEqual(kinds(one([row({ hour: DETECT, remoteAddress: '52.94.1.2', remotePort: 443 })]), 'AWS DYNAMODB (us-east-1)'), [
      'new-peer medium',
    ]);
    assert.deepEqual(kinds(one([row({ hour: DETECT, remoteAddress: '10.0.3.14', remotePort: 5432 })]), 'RDS (RDSNetworkInterface)'), [
      'new-peer medium',
    ]);
  });

  test('a new peer that was only rejected is rejected traffic, not a new peer', () => {
    assert.deepEqual(kinds(one([row({ hour: DETECT, action: 'REJECT', flows: 2 })])), ['rejected-traffic medium']);
  });
});

describe('peerFindings: rejected traffic', () => {
  const baselineRejects = (perHour: number) =>
    Array.from({ length: 7 * 24 }, (_, i) => row({ hour: BASE + i * H, action: 'REJECT', flows: perHour }));

  test('a peer rejected at its usual rate is not a finding', () => {
    const p = one([...baselineRejects(1), row({ hour: DETECT + H, action: 'REJECT', flows: 24 })]);
    assert.deepEqual(kinds(p), []);
  });

  test('a peer rejected far more than usual is a finding', () => {
    const p = one([...baselineRejects(1), row({ hour: DETECT + H, action: 'REJECT', flows: 500 })]);
    const fs = peerFindings(p, named('RDS (RDSNetworkInterface)'), 24);
    assert.deepEqual(
      fs.map((f) => f.kind),
      ['rejected-traffic'],
    );
    assert.equal(fs[0].evidence.rejected, 500);
    assert.equal(fs[0].evidence.baselineRejected, 168);
  });

  test('any rejection of a peer never rejected before is a finding, high when external', () => {
    const p = one([row({ hour: BASE + H }), row({ hour: DETECT + H, action: 'REJECT', remoteAddress: '10.0.3.14' })]);
    assert.deepEqual(kinds(p), ['rejected-traffic medium']);
    const ext = one([
      row({ hour: BASE + H, remoteAddress: '185.220.101.45' }),
      row({ hour: DETECT + H, action: 'REJECT', remoteAddress: '185.220.101.45' }),
    ]);
    assert.deepEqual(kinds(ext, 'external'), ['rejected-traffic high']);
  });
});

describe('peerFindings: traffic spikes', () => {
  const daily = (bytesPerDay: (d: number) => number) =>
    Array.from({ length: 7 }, (_, d) => row({ hour: BASE + d * DAY + 3 * H, bytes: bytesPerDay(d) }));

  test('far more bytes than any baseline day is a spike', () => {
    const p = one([...daily(() => MIB), row({ hour: DETECT + 2 * H, bytes: 50 * MIB })]);
    const fs = peerFindings(p, named('RDS (RDSNetworkInterface)'), 24);
    assert.deepEqual(
      fs.map((f) => `${f.kind} ${f.severity}`),
      ['traffic-spike medium'],
    );
    assert.equal(fs[0].evidence.bytes, 50 * MIB);
    assert.equal(fs[0].evidence.baselineDailyMeanBytes, MIB);
  });

  test('a spike to an external address is high severity', () => {
    const rows = [...daily(() => MIB), row({ hour: DETECT + 2 * H, bytes: 50 * MIB })].map((r) => ({
      ...r,
      remoteAddress: '185.220.101.45',
      remotePort: 443,
    }));
    assert.deepEqual(kinds(one(rows), 'external'), ['traffic-spike high']);
  });

  test('a small absolute increase is not a spike', () => {
    assert.deepEqual(kinds(one([...daily(() => 100_000), row({ hour: DETECT + 2 * H, bytes: 3 * MIB })])), []);
  });

  test('not twice the busiest baseline day is not a spike', () => {
    assert.deepEqual(kinds(one([...daily((d) => (d === 2 ? 30 * MIB : MIB)), row({ hour: DETECT + 2 * H, bytes: 50 * MIB })])), []);
  });

  test('the detection window is scaled to a day', () => {
    // 6 hours of detection: 3 MiB is 12 MiB a day against 1 MiB a day; over 24 hours it is only 3 MiB a day.
    const p = one([...daily(() => MIB), row({ hour: DETECT + 2 * H, bytes: 3 * MIB })]);
    assert.deepEqual(
      peerFindings(p, named('RDS'), 6).map((f) => f.kind),
      ['traffic-spike'],
    );
    assert.deepEqual(
      peerFindings(p, named('RDS'), 24).map((f) => f.kind),
      [],
    );
  });
});

describe('traffic that grows with the invocations', () => {
  test('is part of the invocation spike, not a traffic spike of its own', () => {
    const DAY = 24 * 3_600_000;
    const baselineStart = Date.parse('2026-11-08T00:00:00Z');
    const detectStart = baselineStart + 14 * DAY;
    const b = new FunctionTrafficBuilder(baselineStart, detectStart);
    const row = (hour: number, bytes: number) => ({
      eniId: 'eni-1',
      remoteAddress: '10.0.3.4',
      remotePort: 5432,
      protocol: 6,
      action: 'ACCEPT' as const,
      hour,
      flows: 10,
      packets: 100,
      bytes,
      first: hour,
      last: hour + 60_000,
    });
    for (let d = 0; d < 14; d++) b.add(row(baselineStart + d * DAY, 2 * 1024 * 1024), ['fn']);
    b.add(row(detectStart, 40 * 1024 * 1024), ['fn']);
    const peer = [...b.peers.values()][0];
    assert.deepEqual(
      peerFindings(peer, named('RDS'), 24, 1).map((f) => f.kind),
      ['traffic-spike'],
      '20× the bytes with usual invocations',
    );
    assert.deepEqual(
      peerFindings(peer, named('RDS'), 24, 15).map((f) => f.kind),
      [],
      '20× the bytes with 15× the invocations',
    );
    assert.deepEqual(
      peerFindings(peer, named('RDS'), 24, 3).map((f) => f.kind),
      ['traffic-spike'],
      'far beyond what 3× the invocations explain',
    );
  });
});
