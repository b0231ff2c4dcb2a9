// Peer naming: resources from the ENI inventory, AWS services from ip-ranges, private vs external addresses.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { EniHistory } from '../../src/core/inventory/history';
import { AwsIpRanges, PeerNamer, describeResource, isPrivateAddress } from '../../src/core/inventory/resources';
import type { NetworkInterface } from '../../src/core/model';
import type { IpRangesDocument } from '../../src/core/ports';

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

describe('describeResource', () => {
  test('RDS by description or by requester', () => {
    assert.equal(describeResource(eni({ description: 'RDSNetworkInterface' })), 'RDS (RDSNetworkInterface)');
    assert.equal(describeResource(eni({ description: '', requesterId: 'amazon-rds' })), 'RDS (eni-0123)');
  });

  test('ElastiCache names the cluster node', () => {
    assert.equal(describeResource(eni({ description: 'ElastiCache orders-cache-0001-001' })), 'ElastiCache (orders-cache-0001-001)');
    assert.equal(describeResource(eni({ description: '', requesterId: 'amazon-elasticache' })), 'ElastiCache (eni-0123)');
  });

  test('load balancers by description, requester or type', () => {
    assert.equal(
      describeResource(eni({ description: 'ELB app/internal-api/64cb14028d512c97' })),
      'Load balancer (app/internal-api/64cb14028d512c97)',
    );
    assert.equal(describeResource(eni({ description: '', requesterId: 'amazon-elb' })), 'Load balancer (eni-0123)');
    assert.equal(describeResource(eni({ type: 'network_load_balancer', description: 'ELB net/nlb/abc' })), 'Load balancer (net/nlb/abc)');
  });

  test('VPC endpoints name the endpoint id', () => {
    assert.equal(
      describeResource(eni({ type: 'vpc_endpoint', description: 'VPC Endpoint Interface vpce-f86bebb2737f6a6f0' })),
      'VPC endpoint (vpce-f86bebb2737f6a6f0)',
    );
    assert.equal(describeResource(eni({ type: 'interface', description: 'VPC Endpoint Interface vpce-0abc' })), 'VPC endpoint (vpce-0abc)');
    assert.equal(describeResource(eni({ type: 'vpc_endpoint', description: 'no id here' })), 'VPC endpoint (eni-0123)');
  });

  test('NAT gateways name the gateway id', () => {
    assert.equal(
      describeResource(eni({ type: 'nat_gateway', description: 'Interface for NAT Gateway nat-ed46725a2a7b860dc' })),
      'NAT gateway (nat-ed46725a2a7b860dc)',
    );
    assert.equal(describeResource(eni({ type: 'nat_gateway', description: '' })), 'NAT gateway (eni-0123)');
  });

  test('EC2 instances by attachment, or by a primary/empty description', () => {
    assert.equal(describeResource(eni({ description: 'Primary network interface', instanceId: 'i-0abc' })), 'EC2 instance (i-0abc)');
    assert.equal(describeResource(eni({ description: 'Primary network interface' })), 'EC2 instance (eni-0123)');
    assert.equal(describeResource(eni({ description: '' })), 'EC2 instance (eni-0123)');
  });

  test('Lambda ENIs list the functions they serve, else the description', () => {
    assert.equal(describeResource(eni({ type: 'lambda', description: 'AWS Lambda VPC ENI-a-x' }), ['a', 'b']), 'Lambda ENI (a, b)');
    assert.equal(describeResource(eni({ type: 'lambda', description: 'AWS Lambda VPC ENI-a-x' })), 'Lambda ENI (AWS Lambda VPC ENI-a-x)');
    assert.equal(
      describeResource(eni({ type: 'interface', description: 'AWS Lambda VPC ENI: legacy' }), ['old-fn']),
      'Lambda ENI (old-fn)',
    );
  });

  test('anything else is the ENI with its description', () => {
    assert.equal(describeResource(eni({ description: 'my custom thing' })), 'ENI eni-0123 (my custom thing)');
  });
});

const DOC: IpRangesDocument = {
  prefixes: [
    { ip_prefix: '52.0.0.0/8', region: 'GLOBAL', service: 'AMAZON' },
    { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'S3' },
    { ip_prefix: '52.94.0.0/22', region: 'us-east-1', service: 'DYNAMODB' },
    { ip_prefix: '52.94.0.0/16', region: 'us-east-1', service: 'AMAZON' },
    { ip_prefix: '3.5.0.0/19', region: 'eu-west-1', service: 'S3' },
    { ip_prefix: 'not a prefix', region: 'x', service: 'BROKEN' },
  ],
  ipv6_prefixes: [
    { ipv6_prefix: '2600:1f00::/24', region: 'GLOBAL', service: 'AMAZON' },
    { ipv6_prefix: '2600:1fa0:4000::/40', region: 'us-east-1', service: 'S3' },
  ],
};

describe('AwsIpRanges', () => {
  const ranges = new AwsIpRanges(DOC);

  test('longest prefix wins', () => {
    assert.deepEqual(ranges.lookup('52.94.1.2'), { service: 'DYNAMODB', region: 'us-east-1' });
    assert.deepEqual(ranges.lookup('52.94.200.2'), { service: 'AMAZON', region: 'us-east-1' });
    assert.deepEqual(ranges.lookup('52.1.2.3'), { service: 'AMAZON', region: 'GLOBAL' });
  });

  test('a named service is preferred over AMAZON for the same prefix, in either order', () => {
    assert.deepEqual(ranges.lookup('52.217.255.1'), { service: 'S3', region: 'us-east-1' });
    const reversed = new AwsIpRanges({ prefixes: [DOC.prefixes[2], DOC.prefixes[1]] });
    assert.deepEqual(reversed.lookup('52.216.3.3'), { service: 'S3', region: 'us-east-1' });
  });

  test('prefix edges are inclusive and the next address is outside', () => {
    assert.equal(ranges.lookup('3.5.0.0')?.service, 'S3');
    assert.equal(ranges.lookup('3.5.31.255')?.service, 'S3');
    assert.equal(ranges.lookup('3.5.32.0'), undefined);
    assert.equal(ranges.lookup('3.4.255.255'), undefined);
  });

  test('a prefix written with host bits set covers its network', () => {
    const r = new AwsIpRanges({ prefixes: [{ ip_prefix: '18.34.5.77/16', region: 'us-west-2', service: 'EC2' }] });
    assert.equal(r.lookup('18.34.0.1')?.service, 'EC2');
    assert.equal(r.lookup('18.35.0.1'), undefined);
  });

  test('IPv6 prefixes are looked up for IPv6 addresses only', () => {
    assert.deepEqual(ranges.lookup('2600:1fa0:4012::1'), { service: 'S3', region: 'us-east-1' });
    assert.deepEqual(ranges.lookup('2600:1f18::1'), { service: 'AMAZON', region: 'GLOBAL' });
    assert.equal(ranges.lookup('2a00::1'), undefined);
  });

  test('unknown, malformed or missing input names nothing', () => {
    assert.equal(ranges.lookup('8.8.8.8'), undefined);
    assert.equal(ranges.lookup('not an address'), undefined);
    assert.equal(ranges.lookup(''), undefined);
    assert.equal(new AwsIpRanges(undefined).loaded, false);
    assert.equal(new AwsIpRanges(undefined).lookup('52.94.1.2'), undefined);
    assert.equal(new AwsIpRanges({ prefixes: [] }).loaded, false);
    assert.equal(ranges.loaded, true);
  });
});

describe('isPrivateAddress', () => {
  test('private, shared, link-local, loopback and unique-local addresses', () => {
    for (const a of [
      '10.0.0.1',
      '10.255.255.255',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '127.0.0.1',
      'fd00::1',
      'fe80::1',
      '::1',
      '::ffff:10.0.0.1',
    ]) {
      assert.equal(isPrivateAddress(a), true, a);
    }
  });

  test('public addresses', () => {
    for (const a of [
      '8.8.8.8',
      '52.94.1.2',
      '172.32.0.1',
      '172.15.255.255',
      '100.128.0.1',
      '185.220.101.45',
      '2600:1f18::1',
      '2a00:1450:4001::1',
      '::ffff:8.8.8.8',
    ]) {
      assert.equal(isPrivateAddress(a), false, a);
    }
  });

  test('not an address is not private', () => {
    assert.equal(isPrivateAddress('nonsense'), false);
    assert.equal(isPrivateAddress(''), false);
    assert.equal(isPrivateAddress('-'), false);
  });

  test('a NAT64 address (64:ff9b::/96) of a public IPv4 host is not private', () => {
    assert.equal(isPrivateAddress('64:ff9b::808:808'), false);
  });
});

describe('PeerNamer', () => {
  const T = Date.UTC(2026, 10, 1);
  const H = 3_600_000;

  test('inventory first, then AWS ranges, then private or external', () => {
    const h = new EniHistory();
    h.observe(T, [eni({ id: 'eni-rds', description: 'RDSNetworkInterface', privateIps: ['10.0.3.14'] })], []);
    const namer = new PeerNamer(h, new AwsIpRanges(DOC));
    assert.equal(namer.name('10.0.3.14', T), 'RDS (RDSNetworkInterface)');
    assert.equal(namer.name('52.94.1.2', T), 'AWS DYNAMODB (us-east-1)');
    assert.equal(namer.name('52.94.200.2', T), 'AWS (us-east-1)');
    assert.equal(namer.name('10.9.9.9', T), 'private address (not in the ENI inventory)');
    assert.equal(namer.name('185.220.101.45', T), 'external');
  });

  test('an address that changed owner is named by its owner at the time, else its latest owner', () => {
    const h = new EniHistory();
    h.observe(T, [eni({ id: 'eni-rds', description: 'RDSNetworkInterface', privateIps: ['10.0.3.14'], since: T - 10 * H })], []);
    h.observe(T + 10 * H, [eni({ id: 'eni-cache', description: 'ElastiCache c-1', privateIps: ['10.0.3.14'], since: T + 5 * H })], []);
    const namer = new PeerNamer(h, new AwsIpRanges(undefined));
    assert.equal(namer.name('10.0.3.14', T), 'RDS (RDSNetworkInterface)');
    assert.equal(namer.name('10.0.3.14', T + 6 * H), 'ElastiCache (c-1)');
    // Before anybody held it: the latest owner is the best name left.
    assert.equal(namer.name('10.0.3.14', T - 100 * H), 'ElastiCache (c-1)');
  });
});
