// AWS services behind rotating addresses as one peer per service, region, port and protocol: classification, aggregation, findings, the Logs Insights query, views, redaction, and a scan with and without an ip-ranges document.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildFlowQuery, rowsToAggregates } from '../../src/aws/insights';
import { findingId } from '../../src/core/detect/draft';
import { FunctionTrafficBuilder, peerFindings, peerReport, type PeerTraffic } from '../../src/core/detect/network';
import { parseLogFormat } from '../../src/core/flowlog/format';
import { EniHistory } from '../../src/core/inventory/history';
import { AwsIpRanges, PeerNamer, UNCLASSIFIED_PUBLIC_RESOURCE, awsResource, isRotatingService } from '../../src/core/inventory/resources';
import { peerReportSubject, type FlowAggregate, type FunctionReport, type NetworkInterface, type ScanReport } from '../../src/core/model';
import type { IpRangesDocument } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { NO_IP_RANGES_COVERAGE } from '../../src/core/scan/function-coverage';
import { generateScenario } from '../../src/gen/generate';
import { optionsFromArgv } from '../../src/gen/main';
import { renderPeerDiff } from '../../src/report/html';
import { redactReport } from '../../src/report/redact';
import { peerDiffRows } from '../../src/report/view-model';
import { openScenario } from '../../src/replay/scenario';

const H = 3_600_000;
const DAY = 24 * H;
const DETECT = Date.UTC(2026, 10, 22);
const BASE = DETECT - 7 * DAY;

/** As AWS publishes it: each named service's prefix under AMAZON too. */
const DOC: IpRangesDocument = {
  prefixes: [
    { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'S3' },
    { ip_prefix: '3.5.0.0/19', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '3.5.0.0/19', region: 'us-east-1', service: 'S3' },
    { ip_prefix: '3.5.64.0/21', region: 'eu-west-1', service: 'S3' },
    { ip_prefix: '52.94.0.0/22', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '52.94.0.0/22', region: 'us-east-1', service: 'DYNAMODB' },
    { ip_prefix: '44.192.0.0/11', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '44.192.0.0/11', region: 'us-east-1', service: 'EC2' },
    { ip_prefix: '15.230.0.0/16', region: 'us-east-1', service: 'AMAZON' },
  ],
  ipv6_prefixes: [
    { ipv6_prefix: '2600:1fa0:8000::/39', region: 'us-east-1', service: 'AMAZON' },
    { ipv6_prefix: '2600:1fa0:8000::/39', region: 'us-east-1', service: 'S3' },
    { ipv6_prefix: '2600:1f18::/33', region: 'us-east-1', service: 'EC2' },
  ],
};

function eni(over: Partial<NetworkInterface>): NetworkInterface {
  return {
    id: 'eni-0123',
    type: 'interface',
    description: '',
    subnetId: 'subnet-1',
    vpcId: 'vpc-1',
    securityGroupIds: [],
    privateIps: ['10.0.0.1'],
    ipv6Ips: [],
    ...over,
  };
}

/** `null`: no ip-ranges document. */
function namer(doc: IpRangesDocument | null = DOC, enis: NetworkInterface[] = []): PeerNamer {
  const h = new EniHistory();
  h.observe(DETECT, enis, []);
  return new PeerNamer(h, new AwsIpRanges(doc ?? undefined), 'us-east-1');
}

function row(over: Partial<FlowAggregate> & { hour: number }): FlowAggregate {
  return {
    eniId: 'eni-1',
    remoteAddress: '52.216.1.1',
    remotePort: 443,
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

function build(rows: FlowAggregate[], n = namer()): Map<string, PeerTraffic> {
  const b = new FunctionTrafficBuilder(BASE, DETECT, (address, recordService) => n.service(address, recordService));
  for (const r of rows) b.add(r, ['fn']);
  return b.peers;
}

/** `count` S3 addresses of 52.216.x.y, from `offset`, one row each in the given hour. */
function rotating(hour: number, count: number, offset = 0, over: Partial<FlowAggregate> = {}): FlowAggregate[] {
  return Array.from({ length: count }, (_, i) =>
    row({ hour, remoteAddress: `52.216.${Math.floor((offset + i) / 250)}.${((offset + i) % 250) + 1}`, ...over }),
  );
}

function findings(p: PeerTraffic, n = namer()) {
  const identity = p.service
    ? { resource: awsResource(p.service), origin: 'aws' as const }
    : n.identify(p.address, DETECT, p.recordService);
  return peerFindings(p, identity, 24);
}

describe('which addresses are a service peer', () => {
  const n = namer(DOC, [eni({ id: 'eni-vpce', description: 'VPC Endpoint Interface vpce-0abc', privateIps: ['10.0.5.5'] })]);

  test('a named service other than EC2 and AMAZON, with its region', () => {
    assert.deepEqual(n.service('52.216.77.8'), { name: 'S3', region: 'us-east-1' });
    assert.deepEqual(n.service('52.94.1.2'), { name: 'DYNAMODB', region: 'us-east-1' });
    assert.deepEqual(n.service('3.5.66.1'), { name: 'S3', region: 'eu-west-1' });
    assert.equal(isRotatingService('CLOUDFRONT'), true);
    assert.equal(isRotatingService('API_GATEWAY'), true);
  });

  test('EC2 stays one peer per address: anyone can rent one', () => {
    assert.equal(n.service('44.214.131.68'), undefined);
    assert.equal(isRotatingService('EC2'), false);
    assert.equal(n.identify('44.214.131.68', DETECT).resource, 'AWS EC2 (us-east-1)');
  });

  test('an address only AMAZON lists stays one peer per address', () => {
    assert.equal(n.service('15.230.4.4'), undefined);
    assert.equal(isRotatingService('AMAZON'), false);
    assert.deepEqual(n.identify('15.230.4.4', DETECT), { resource: 'AWS (us-east-1)', origin: 'aws' });
  });

  test('private addresses, ENIs of the account and the rest of the internet are not services', () => {
    assert.equal(n.service('10.0.5.5', 'S3'), undefined, 'an interface endpoint is its own ENI');
    assert.equal(n.service('10.9.9.9'), undefined);
    assert.equal(n.service('185.220.101.45'), undefined);
  });

  test("IPv6: the service by its IPv6 prefix; EC2's IPv6 stays per address", () => {
    assert.deepEqual(n.service('2600:1fa0:8012::5'), { name: 'S3', region: 'us-east-1' });
    assert.equal(n.service('2600:1f18:4a3::5'), undefined);
    assert.deepEqual(new AwsIpRanges(DOC).lookup('::ffff:52.94.1.2'), { service: 'DYNAMODB', region: 'us-east-1' }, 'IPv4-mapped');
  });

  test("pkt-dst-aws-service names the service without ip-ranges, in the account's region; with ip-ranges, the address's region", () => {
    const bare = namer(null);
    assert.deepEqual(bare.service('52.216.1.1', 'S3'), { name: 'S3', region: 'us-east-1' });
    assert.equal(bare.service('52.216.1.1'), undefined, 'nothing names it');
    assert.equal(bare.service('44.214.131.68', 'EC2'), undefined, 'EC2 by the record too stays per address');
    assert.deepEqual(bare.identify('44.214.131.68', DETECT, 'EC2'), { resource: 'AWS EC2 (us-east-1)', origin: 'aws' });
    assert.deepEqual(new PeerNamer(new EniHistory(), new AwsIpRanges(undefined), 'eu-central-1').service('52.216.1.1', 'S3'), {
      name: 'S3',
      region: 'eu-central-1',
    });
    assert.deepEqual(n.service('3.5.66.1', 'S3'), { name: 'S3', region: 'eu-west-1' });
    // The record's name wins over ip-ranges' (the record is the address at the time).
    assert.deepEqual(n.service('44.214.131.68', 'CLOUDFRONT'), { name: 'CLOUDFRONT', region: 'us-east-1' });
  });

  test('same prefix under EC2 and another name: EC2 (per address) wins; a longer prefix still wins over both', () => {
    const r = new AwsIpRanges({
      prefixes: [
        { ip_prefix: '18.208.0.0/13', region: 'us-east-1', service: 'CODEBUILD' },
        { ip_prefix: '18.208.0.0/13', region: 'us-east-1', service: 'EC2' },
        { ip_prefix: '18.208.0.0/13', region: 'us-east-1', service: 'AMAZON' },
        { ip_prefix: '18.209.0.0/24', region: 'us-east-1', service: 'ROUTE53_HEALTHCHECKS' },
      ],
    });
    assert.equal(r.lookup('18.210.1.1')?.service, 'EC2');
    assert.equal(r.lookup('18.209.0.7')?.service, 'ROUTE53_HEALTHCHECKS');
  });

  test('without an ip-ranges document a public address is not called external', () => {
    const bare = namer(null);
    assert.equal(bare.ipRangesAvailable, false);
    assert.deepEqual(bare.identify('185.220.101.45', DETECT), { resource: UNCLASSIFIED_PUBLIC_RESOURCE, origin: 'unclassified-public' });
    assert.deepEqual(bare.identify('10.9.9.9', DETECT), { resource: 'private address (not in the ENI inventory)', origin: 'private' });
    assert.equal(n.ipRangesAvailable, true);
    assert.deepEqual(n.identify('185.220.101.45', DETECT), { resource: 'external', origin: 'external' });
  });

  test("a lookup over a document the size of AWS's is a few map reads (10,000 prefixes, 20,000 lookups well under a second)", () => {
    const prefixes: IpRangesDocument['prefixes'] = [];
    for (let i = 0; i < 10_000; i++)
      prefixes.push({
        ip_prefix: `${3 + (i % 60)}.${(i * 7) % 256}.${(i * 13) % 256}.0/${16 + (i % 9)}`,
        region: 'us-east-1',
        service: i % 3 ? 'AMAZON' : 'S3',
      });
    const r = new AwsIpRanges({ prefixes });
    const began = process.hrtime.bigint();
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (r.lookup(`${3 + (i % 60)}.${(i * 7) % 256}.${i % 256}.${i % 200}`)) hits++;
    const ms = Number(process.hrtime.bigint() - began) / 1e6;
    assert.ok(hits > 0);
    assert.ok(ms < 1000, `${ms} ms`);
  });
});

describe('one peer per service, region, port and protocol', () => {
  test('hundreds of rotating addresses are one peer, with distinct-address counts per window and the busiest as samples', () => {
    const rows = [
      ...rotating(BASE + 3 * H, 300),
      ...rotating(BASE + 4 * DAY, 200, 100),
      ...rotating(DETECT + 2 * H, 120, 400),
      row({ hour: DETECT + 3 * H, remoteAddress: '52.216.9.9', flows: 50 }),
      row({ hour: BASE + 5 * H, remoteAddress: '52.217.0.1', flows: 70 }),
    ];
    const peers = build(rows);
    assert.deepEqual([...peers.keys()], ['aws:S3:us-east-1:443/tcp']);
    const p = peers.get('aws:S3:us-east-1:443/tcp')!;
    assert.equal(p.baseline.flows, 300 + 200 + 70);
    assert.equal(p.detect.flows, 120 + 50);
    const r = peerReport(p, awsResource(p.service!), 'fn');
    assert.deepEqual(r.service, { name: 'S3', region: 'us-east-1' });
    assert.equal(r.addresses?.baseline, 301, "the second day's 200 are among the first day's 300; and one more");
    assert.equal(r.addresses?.detect, 121);
    assert.equal(r.addresses?.samples.length, 5);
    assert.equal(r.addresses?.samples[0], '52.216.9.9', "the detection window's busiest first");
    assert.equal(r.address, '52.216.9.9');
    assert.equal(r.resource, 'AWS S3 (us-east-1)');
    assert.equal(peerReportSubject(r), 'aws:S3:us-east-1:443/tcp');
    assert.deepEqual(findings(p), [], 'new addresses of a known service are not a new peer');
  });

  test('DynamoDB, S3 in another region, another port, another protocol: each its own peer; EC2 and AMAZON-only addresses one each', () => {
    const peers = build([
      ...rotating(DETECT, 3),
      row({ hour: DETECT, remoteAddress: '52.94.1.2' }),
      row({ hour: DETECT, remoteAddress: '52.94.2.2' }),
      row({ hour: DETECT, remoteAddress: '3.5.66.1' }),
      row({ hour: DETECT, remoteAddress: '52.216.0.1', remotePort: 80 }),
      row({ hour: DETECT, remoteAddress: '52.216.0.1', protocol: 17 }),
      row({ hour: DETECT, remoteAddress: '44.214.131.68' }),
      row({ hour: DETECT, remoteAddress: '44.214.131.69' }),
      row({ hour: DETECT, remoteAddress: '15.230.4.4' }),
    ]);
    assert.deepEqual([...peers.keys()].sort(), [
      '15.230.4.4:443/tcp',
      '44.214.131.68:443/tcp',
      '44.214.131.69:443/tcp',
      'aws:DYNAMODB:us-east-1:443/tcp',
      'aws:S3:eu-west-1:443/tcp',
      'aws:S3:us-east-1:443/tcp',
      'aws:S3:us-east-1:443/udp',
      'aws:S3:us-east-1:80/tcp',
    ]);
  });

  test('records that name the service (pkt-dst-aws-service) aggregate without ip-ranges', () => {
    const peers = build(
      [...rotating(BASE + H, 50, 0, { remoteService: 'S3' }), ...rotating(DETECT + H, 40, 200, { remoteService: 'S3' })],
      namer(null),
    );
    assert.deepEqual([...peers.keys()], ['aws:S3:us-east-1:443/tcp']);
    assert.deepEqual(findings(peers.get('aws:S3:us-east-1:443/tcp')!, namer(null)), []);
  });
});

describe('findings on a service peer', () => {
  test('new-peer only for a service, region, port and protocol the baseline never reached; its text names the service and the address count', () => {
    const peers = build([
      ...rotating(BASE + H, 100),
      ...rotating(DETECT + H, 12, 1000, { remotePort: 8443 }),
      row({ hour: DETECT + H, remoteAddress: '3.5.66.1' }),
      ...rotating(DETECT + 2 * H, 30, 500),
    ]);
    const all = [...peers.values()].flatMap((p) => findings(p));
    assert.deepEqual(all.map((f) => `${f.kind} ${f.subject} ${f.severity}`).sort(), [
      'new-peer aws:S3:eu-west-1:443/tcp medium',
      'new-peer aws:S3:us-east-1:8443/tcp medium',
    ]);
    const f = all.find((x) => x.subject === 'aws:S3:us-east-1:8443/tcp')!;
    assert.equal(f.title, 'New peer: AWS S3 (us-east-1) port 8443/tcp, 12 addresses');
    assert.match(
      f.detail,
      /^The function connected to AWS S3 \(us-east-1\) on port 8443\/tcp 12 time\(s\) since .*, over 12 addresses \(52\.216\.\d+\.\d+, /,
    );
    assert.match(f.detail, /never reached that service in that region on that port in the baseline\.$/);
    assert.equal(f.evidence.addresses, 12);
    assert.equal(f.evidence.baselineAddresses, 0);
    assert.equal((f.evidence.sampleAddresses as string[]).length, 5);
    const one = all.find((x) => x.subject === 'aws:S3:eu-west-1:443/tcp')!;
    assert.equal(one.title, 'New peer: AWS S3 (eu-west-1) port 443/tcp, 1 address');
  });

  test('a new EC2 address is still a new peer of its own (a command-and-control server on EC2)', () => {
    const peers = build([...rotating(BASE + H, 20), row({ hour: DETECT + H, remoteAddress: '44.214.131.68' })]);
    const all = [...peers.values()].flatMap((p) => findings(p));
    assert.deepEqual(
      all.map((f) => `${f.kind} ${f.subject}`),
      ['new-peer 44.214.131.68:443/tcp'],
    );
    assert.equal(all[0].title, 'New peer: AWS EC2 (us-east-1), 44.214.131.68 port 443/tcp');
  });

  test('rejected traffic and a traffic spike are judged on the aggregate', () => {
    const daily = Array.from({ length: 7 }, (_, d) => rotating(BASE + d * DAY + H, 10, d * 10, { bytes: 100 * 1024 })).flat();
    const spike = build([...daily, ...rotating(DETECT + H, 40, 300, { bytes: 1024 * 1024 })]);
    const s = [...spike.values()][0];
    assert.equal(spike.size, 1);
    const fs = findings(s);
    assert.deepEqual(
      fs.map((f) => `${f.kind} ${f.severity}`),
      ['traffic-spike medium'],
    );
    assert.match(fs[0].detail, /went to AWS S3 \(us-east-1\) port 443\/tcp \(40 addresses\) in the detection window/);

    const rejected = build([...daily, ...rotating(DETECT + H, 6, 900, { action: 'REJECT' })]);
    const r = findings([...rejected.values()][0]);
    assert.deepEqual(
      r.map((f) => `${f.kind} ${f.subject}`),
      ['rejected-traffic aws:S3:us-east-1:443/tcp'],
    );
    assert.equal(r[0].title, 'Rejected traffic to AWS S3 (us-east-1) port 443/tcp');
    assert.equal(r[0].evidence.rejected, 6);
    assert.equal(r[0].evidence.addresses, 6);
  });

  test('without ip-ranges a new public address is named as such and is not high for being "external"', () => {
    const bare = namer(null);
    const peers = build(
      [
        row({ hour: DETECT + H, remoteAddress: '185.220.101.45' }),
        row({ hour: DETECT + H, remoteAddress: '185.220.101.46', remotePort: 4444 }),
      ],
      bare,
    );
    const all = [...peers.values()].flatMap((p) => findings(p, bare));
    assert.deepEqual(all.map((f) => `${f.subject} ${f.severity}`).sort(), [
      '185.220.101.45:443/tcp medium',
      '185.220.101.46:4444/tcp high',
    ]);
    const f = all.find((x) => x.subject === '185.220.101.45:443/tcp')!;
    assert.equal(f.title, `New peer: ${UNCLASSIFIED_PUBLIC_RESOURCE}, 185.220.101.45 port 443/tcp`);
    assert.match(f.detail, /without AWS's ip-ranges document the scan cannot tell whether it belongs to an AWS service/);
    assert.doesNotMatch(f.detail, /not an AWS service/);
  });
});

describe("the Logs Insights query groups by the remote side's service when the LogFormat has it", () => {
  const v5 = parseLogFormat(
    '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ' +
      '${vpc-id} ${subnet-id} ${flow-direction} ${traffic-path} ${pkt-src-aws-service} ${pkt-dst-aws-service}',
  );

  test('egress by pkt-dst-aws-service, ingress by pkt-src-aws-service; v2 by neither', () => {
    const egress = buildFlowQuery(v5, ['eni-1'], ['10.0.1.5'], 'egress');
    assert.match(
      egress,
      /by f_interface_id as eni, f_dstaddr as remote, f_dstport as port, f_protocol as protocol, f_action as action, hour, f_pkt_dst_aws_service as service\n/,
    );
    assert.match(egress, /as f_version, .*f_pkt_src_aws_service, f_pkt_dst_aws_service\n/);
    const ingress = buildFlowQuery(v5, ['eni-1'], ['10.0.1.5'], 'ingress');
    assert.match(ingress, /f_srcaddr as remote, f_srcport as port, .* hour, f_pkt_src_aws_service as service\n/);
    assert.doesNotMatch(buildFlowQuery(parseLogFormat(undefined), ['eni-1'], ['10.0.1.5'], 'egress'), /aws_service/);
  });

  test('result rows carry the service; `-` and a missing field carry none', () => {
    const base = [
      { field: 'eni', value: 'eni-1' },
      { field: 'remote', value: '52.216.1.1' },
      { field: 'port', value: '443' },
      { field: 'protocol', value: '6' },
      { field: 'action', value: 'ACCEPT' },
      { field: 'hour', value: '493000' },
      { field: 'flows', value: '3' },
    ];
    const rows = rowsToAggregates([[...base, { field: 'service', value: 'S3' }], [...base, { field: 'service', value: '-' }], base]);
    assert.deepEqual(
      rows.map((r) => r.remoteService),
      ['S3', undefined, undefined],
    );
    assert.ok(!('remoteService' in rows[1]));
  });
});

/** A function report with one S3 service peer (new) and its finding, as a scan writes it. */
function serviceReport(): ScanReport {
  const peers = build([...rotating(DETECT + H, 12, 0, { remotePort: 8443 })]);
  const p = [...peers.values()][0];
  const peer = peerReport(p, awsResource(p.service!), 'fn');
  const [draft] = findings(p);
  const fn: FunctionReport = {
    name: 'fn',
    arn: 'arn:aws:lambda:us-east-1:526018159083:function:fn',
    inVpc: true,
    enis: [],
    apiCalls: [],
    peers: [peer],
    findings: [{ id: findingId('fn', draft.kind, draft.subject), attribution: 'exact', ...draft }],
    coverage: { network: 'complete', cloudtrail: 'complete', metrics: 'complete' },
  };
  return {
    formatVersion: 1,
    accountId: '526018159083',
    region: 'us-east-1',
    window: {
      baselineStart: '2026-11-15T00:00:00Z',
      baselineEnd: '2026-11-22T00:00:00Z',
      detectStart: '2026-11-22T00:00:00Z',
      detectEnd: '2026-11-23T00:00:00Z',
    },
    functions: [fn],
    warnings: [],
  };
}

describe('views and redaction of a service peer', () => {
  test('the diff row is the service with its address count, in the view model and the HTML report', () => {
    const report = serviceReport();
    const [r] = peerDiffRows(report.functions[0]);
    assert.equal(r.subject, 'aws:S3:us-east-1:8443/tcp');
    assert.equal(r.resource, 'AWS S3 (us-east-1)');
    assert.deepEqual({ ...r.addresses, samples: r.addresses?.samples.length }, { now: 12, baseline: 0, samples: 5, text: '12 addresses' });
    assert.equal(r.severity, 'medium', 'the row is highlighted by its finding, matched by subject');
    const html = renderPeerDiff(report.functions[0]);
    assert.match(html, /<code>aws:S3:us-east-1:8443\/tcp<\/code><br><span class="muted">12 addresses<\/span>/);
    // An address peer has no such line.
    const plain = { ...report.functions[0], peers: [{ ...report.functions[0].peers[0], service: undefined, addresses: undefined }] };
    assert.equal(peerDiffRows(plain)[0].addresses, undefined);
    // A baseline count joins the words; a malformed block read from disk is counted as zero, not thrown on.
    const both = {
      ...report.functions[0],
      peers: [{ ...report.functions[0].peers[0], addresses: { baseline: 340, detect: 1, samples: ['52.216.0.1'] } }],
    };
    assert.equal(peerDiffRows(both)[0].addresses?.text, '1 address (340 in the baseline)');
    const odd = {
      ...report.functions[0],
      peers: [{ ...report.functions[0].peers[0], addresses: { baseline: 'x', detect: -1, samples: [3, 'a'] } as never }],
    };
    assert.deepEqual(peerDiffRows(odd)[0].addresses, { now: 0, baseline: 0, samples: ['a'], text: '0 addresses' });
  });

  test('redaction replaces the sample addresses (peer and finding evidence) and keeps the service subject and the finding id', () => {
    const report = serviceReport();
    const original = report.functions[0];
    const samples = original.peers[0].addresses!.samples;
    const r = redactReport(report);
    const text = JSON.stringify(r);
    for (const a of samples) assert.ok(!text.includes(a), `${a} is still in the redacted report`);
    const [peer] = r.functions[0].peers;
    assert.equal(peer.addresses!.samples.length, samples.length);
    for (const a of peer.addresses!.samples) assert.match(a, /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
    assert.equal(peer.address, peer.addresses!.samples[0], 'the same address, the same stand-in');
    assert.deepEqual(peer.service, { name: 'S3', region: 'us-east-1' });
    const [finding] = r.functions[0].findings;
    assert.equal(finding.subject, 'aws:S3:us-east-1:8443/tcp');
    assert.equal(finding.id, original.findings[0].id, 'the id is a hash of the subject, which has no address');
    assert.deepEqual(finding.evidence.sampleAddresses, peer.addresses!.samples);
    assert.equal(peerReportSubject(peer), finding.subject);
  });
});

describe('a scan of the traps account without its ip-ranges document', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-service-peers-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let withDoc: ScanReport;
  let without: ScanReport;

  before(async () => {
    const gen = await generateScenario(optionsFromArgv(['--profile', 'traps', '--seed', '1', '--out', path.join(tmp, 'traps')]));
    withDoc = await scan(openScenario(gen.dir), {});
    fs.rmSync(path.join(gen.dir, 'ip-ranges.json'));
    without = await scan(openScenario(gen.dir), {});
  });

  const fn = (r: ScanReport, name: string) => r.functions.find((f) => f.name === name)!;

  test('with the document: S3 and DynamoDB are one peer each, known from the baseline, and no warning about ip-ranges', () => {
    const archiver = fn(withDoc, 'blob-archiver');
    const services = archiver.peers.filter((p) => p.service).map((p) => `${peerReportSubject(p)} ${p.inBaseline}`);
    assert.deepEqual(services.sort(), ['aws:DYNAMODB:us-east-1:443/tcp true', 'aws:S3:us-east-1:443/tcp true']);
    for (const p of archiver.peers.filter((x) => x.service))
      assert.ok(p.addresses!.baseline > 100 && p.addresses!.detect > 100, JSON.stringify(p.addresses));
    assert.ok(!withDoc.warnings.some((w) => /ip-ranges/.test(w)), withDoc.warnings.join('\n'));
    assert.equal(archiver.coverageStatus?.network.status, 'complete');
  });

  test('without it: public peers are "unavailable", not external; the affected functions\' coverage is partial and the warnings say so', () => {
    const archiver = fn(without, 'blob-archiver');
    const publicPeers = archiver.peers.filter((p) => !p.address.startsWith('10.'));
    assert.ok(publicPeers.length > 100);
    for (const p of publicPeers) assert.equal(p.resource, UNCLASSIFIED_PUBLIC_RESOURCE, p.address);
    assert.ok(!without.functions.some((f) => f.peers.some((p) => p.resource === 'external')));
    assert.ok(
      !archiver.findings.some((f) => f.severity === 'high' && f.kind === 'new-peer' && f.subject.endsWith(':443/tcp')),
      'a new :443 peer is not high for being "external"',
    );
    assert.equal(archiver.coverageStatus?.network.status, 'partial');
    assert.match(
      archiver.coverage.network,
      /^partial: no AWS ip-ranges document: public addresses could not be told from AWS services; 2 ENI\(s\) through flow log fl-/,
    );
    assert.ok(archiver.coverage.network.startsWith(`partial: ${NO_IP_RANGES_COVERAGE}; `));
    const warning = without.warnings.find((w) => w.startsWith('no AWS ip-ranges document'));
    assert.ok(warning, without.warnings.join('\n'));
    assert.match(warning, /blob-archiver/);
  });

  test('without it: the subnet whose v5 flow log names the services still has its S3 and DynamoDB peers, and full coverage', () => {
    const indexer = fn(without, 'stream-indexer');
    assert.deepEqual(
      indexer.peers
        .filter((p) => p.service)
        .map(peerReportSubject)
        .sort(),
      ['aws:DYNAMODB:us-east-1:443/tcp', 'aws:S3:us-east-1:443/tcp'],
    );
    assert.equal(indexer.coverageStatus?.network.status, 'complete');
    assert.deepEqual(
      indexer.findings.filter((f) => f.kind === 'new-peer'),
      [],
    );
    // A function with no public peer is not touched.
    assert.equal(fn(without, 'payments-ledger').coverage.network.includes('ip-ranges'), false);
  });
});
