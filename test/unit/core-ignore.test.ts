// Ignore rules and accepted findings applied to a report: what is left out, and that a bad rule is a clear error.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { emptyAccepted, accept } from '../../src/core/accepted';
import { applyUserRules, IgnoreMatcher } from '../../src/core/ignore';
import { InputError } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { openScenario } from '../../src/replay/scenario';

const DEMO = path.join(__dirname, '..', '..', 'media', 'demo');

describe('ignore rules', () => {
  it('match addresses, CIDRs and address:port/protocol', () => {
    const m = new IgnoreMatcher({ peers: ['10.0.1.5', '192.168.0.0/16', '10.9.9.9:22/tcp', '2600:1f18::/32'] });
    assert.equal(m.peer({ address: '10.0.1.5', port: 443, protocol: 'tcp' }), true);
    assert.equal(m.peer({ address: '10.0.1.6', port: 443, protocol: 'tcp' }), false);
    assert.equal(m.peer({ address: '192.168.4.4', port: 5432, protocol: 'tcp' }), true);
    assert.equal(m.peer({ address: '10.9.9.9', port: 22, protocol: 'tcp' }), true);
    assert.equal(m.peer({ address: '10.9.9.9', port: 22, protocol: 'udp' }), false);
    assert.equal(m.peer({ address: '10.9.9.9', port: 443, protocol: 'tcp' }), false);
    assert.equal(m.peer({ address: '2600:1f18:0:0::1', port: 443, protocol: 'tcp' }), true, 'IPv6 in any spelling');
    assert.equal(m.peer({ address: 'not-an-ip', port: 1, protocol: 'tcp' }), false);
  });

  it('match an AWS service peer by its subject (aws:S3:*), never by the address it happened to use', () => {
    const m = new IgnoreMatcher({ peers: ['aws:S3:*', '52.216.0.0/15'] });
    const s3 = { address: '3.5.0.9', port: 443, protocol: 'tcp', service: { name: 'S3', region: 'us-east-1' } };
    const dynamo = { address: '52.216.1.1', port: 443, protocol: 'tcp', service: { name: 'DYNAMODB', region: 'us-east-1' } };
    assert.equal(m.peer(s3), true);
    assert.equal(m.peer(dynamo), false, 'an address rule does not reach a service peer through its sample address');
    assert.equal(m.peer({ address: '52.216.1.1', port: 443, protocol: 'tcp' }), true, 'the CIDR still matches a plain peer');
    assert.equal(m.finding({ kind: 'new-peer', subject: 'aws:S3:eu-west-1:443/tcp' }), true);
    assert.equal(m.finding({ kind: 'traffic-spike', subject: 'aws:DYNAMODB:us-east-1:443/tcp' }), false);
    const exact = new IgnoreMatcher({ peers: ['aws:DYNAMODB:us-east-1:443/tcp'] });
    assert.equal(exact.peer(dynamo), true);
    assert.equal(exact.finding({ kind: 'new-peer', subject: 'aws:DYNAMODB:us-east-1:8443/tcp' }), false);
  });

  it('match API calls with * as a wildcard, case-insensitively', () => {
    const m = new IgnoreMatcher({ apiCalls: ['s3.amazonaws.com:*', '*:Describe*', 'sts.amazonaws.com:GetCallerIdentity'] });
    assert.equal(m.apiCall('s3.amazonaws.com', 'ListBuckets'), true);
    assert.equal(m.apiCall('ec2.amazonaws.com', 'DescribeInstances'), true);
    assert.equal(m.apiCall('sts.amazonaws.com', 'getcalleridentity'), true);
    assert.equal(m.apiCall('iam.amazonaws.com', 'CreateUser'), false);
    assert.equal(m.apiCall('s3xamazonaws.com', 'X'), false, 'a dot is a dot, not any character');
  });

  it('refuse a rule that is none of those, naming it', () => {
    assert.throws(
      () => new IgnoreMatcher({ peers: ['10.0.0.0/99'] }, 'lambdaBehavior.ignore.peers'),
      (e: Error) => e instanceof InputError && /lambdaBehavior\.ignore\.peers: "10\.0\.0\.0\/99"/.test(e.message),
    );
    assert.throws(() => new IgnoreMatcher({ peers: ['db.internal'] }), InputError);
    assert.throws(() => new IgnoreMatcher({ apiCalls: ['ListBuckets'] }), /eventSource:eventName/);
  });

  it('leave the peer, its findings and nothing else out of a scan', async () => {
    const full = await scan(openScenario(DEMO, 'demo account'));
    const rds = full.functions.find((f) => f.name === 'RDSQueryLogger')!;
    const ssh = rds.findings.find((f) => f.kind === 'new-peer')!;
    const address = ssh.subject.split(':')[0];
    const filtered = await scan(openScenario(DEMO, 'demo account'), { ignore: { peers: [address], apiCalls: ['iam.amazonaws.com:*'] } });
    const after = filtered.functions.find((f) => f.name === 'RDSQueryLogger')!;
    assert.equal(after.findings.length, rds.findings.length - 1);
    assert.ok(!after.peers.some((p) => p.address === address));
    assert.equal(after.peers.length, rds.peers.length - rds.peers.filter((p) => p.address === address).length);
    const orderApi = filtered.functions.find((f) => f.name === 'OrderApi')!;
    assert.ok(!orderApi.findings.some((f) => f.subject.startsWith('iam.amazonaws.com:')), 'the denied CreateUser is ignored');
    assert.ok(
      orderApi.findings.some((f) => f.subject === 's3.amazonaws.com:ListBuckets'),
      'the rest stays',
    );
    assert.ok(!orderApi.apiCalls.some((c) => c.eventSource === 'iam.amazonaws.com'));
  });

  it("drop accepted findings from a finished report (the extension's Refresh)", async () => {
    const full = await scan(openScenario(DEMO, 'demo account'));
    const orderApi = full.functions.find((f) => f.name === 'OrderApi')!;
    const listBuckets = orderApi.findings.find((f) => f.kind === 'new-api-call')!;
    const accepted = accept(emptyAccepted(), 'OrderApi', listBuckets, '2026-12-01T00:00:00Z');
    const after = applyUserRules(full, { accepted });
    assert.equal(after.functions.find((f) => f.name === 'OrderApi')!.findings.length, orderApi.findings.length - 1);
    assert.equal(applyUserRules(full, {}), full, 'no rules: the same report');
  });
});
