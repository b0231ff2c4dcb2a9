// Lambda ENI recognition and the ENI → functions mapping (subnet + exact security-group set).
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { functionNamedInDescription, isLambdaEni, mapLambdaEnis } from '../../src/core/inventory/enis';
import type { LambdaFunction, NetworkInterface } from '../../src/core/model';

const UUID = '1656e770-2f1c-c974-71da-d1fa2edae9d8';

function eni(over: Partial<NetworkInterface> & { id: string }): NetworkInterface {
  return {
    type: 'lambda',
    description: `AWS Lambda VPC ENI-fn-a-${UUID}`,
    subnetId: 'subnet-1',
    vpcId: 'vpc-1',
    securityGroupIds: ['sg-1'],
    privateIps: ['10.0.1.10'],
    ipv6Ips: [],
    ...over,
  };
}

function fn(
  name: string,
  subnetIds: string[] | undefined,
  securityGroupIds: string[] = ['sg-1'],
  role = `arn:aws:iam::1:role/${name}-role`,
): LambdaFunction {
  return {
    name,
    arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    role,
    tags: {},
    ...(subnetIds ? { vpc: { vpcId: 'vpc-1', subnetIds, securityGroupIds } } : {}),
  };
}

describe('isLambdaEni', () => {
  test('InterfaceType lambda is a Lambda ENI whatever its description', () => {
    assert.equal(isLambdaEni(eni({ id: 'eni-1', type: 'lambda', description: '' })), true);
    assert.equal(isLambdaEni(eni({ id: 'eni-1', type: 'lambda', description: 'something else' })), true);
  });

  test('a Hyperplane or legacy description is a Lambda ENI even with InterfaceType interface', () => {
    assert.equal(isLambdaEni(eni({ id: 'eni-1', type: 'interface', description: `AWS Lambda VPC ENI-fn-a-${UUID}` })), true);
    assert.equal(
      isLambdaEni(eni({ id: 'eni-1', type: 'interface', description: 'AWS Lambda VPC ENI: 0c3d6b2e-5e1b-4f7a-8f52-2d4a8b9a7c11' })),
      true,
    );
  });

  test('other ENIs are not', () => {
    for (const [type, description] of [
      ['interface', 'RDSNetworkInterface'],
      ['interface', 'Primary network interface'],
      ['nat_gateway', 'Interface for NAT Gateway nat-0abc'],
      ['vpc_endpoint', 'VPC Endpoint Interface vpce-0abc'],
      ['interface', 'ELB app/internal-api/64cb14028d512c97'],
      ['interface', 'aws lambda vpc eni-fn-x'],
      ['interface', 'My AWS Lambda VPC ENI-copy'],
      ['interface', ''],
    ]) {
      assert.equal(isLambdaEni(eni({ id: 'eni-1', type, description })), false, `${type} ${description}`);
    }
  });
});

describe('functionNamedInDescription', () => {
  test('the function name, including names with dashes and digits', () => {
    assert.equal(functionNamedInDescription(`AWS Lambda VPC ENI-orders-api-5-${UUID}`), 'orders-api-5');
    assert.equal(functionNamedInDescription(`AWS Lambda VPC ENI-RDSQueryLogger-${UUID.toUpperCase()}`), 'RDSQueryLogger');
    assert.equal(functionNamedInDescription(`AWS Lambda VPC ENI-a-${UUID}`), 'a');
  });

  test('undefined when the description is not a Hyperplane one or has no uuid', () => {
    assert.equal(functionNamedInDescription('AWS Lambda VPC ENI: 0c3d6b2e'), undefined);
    assert.equal(functionNamedInDescription('AWS Lambda VPC ENI-orders-api'), undefined);
    assert.equal(functionNamedInDescription(`AWS Lambda VPC ENI-${UUID}`), undefined);
    assert.equal(functionNamedInDescription('RDSNetworkInterface'), undefined);
    assert.equal(functionNamedInDescription(''), undefined);
  });
});

describe('mapLambdaEnis', () => {
  test('only Lambda ENIs are mapped', () => {
    const out = mapLambdaEnis(
      [eni({ id: 'eni-l' }), eni({ id: 'eni-rds', type: 'interface', description: 'RDSNetworkInterface' })],
      [fn('fn-a', ['subnet-1'])],
    );
    assert.deepEqual(
      out.map((l) => l.eni.id),
      ['eni-l'],
    );
    assert.deepEqual(out[0].functions, ['fn-a']);
    assert.equal(out[0].legacy, false);
    assert.equal(out[0].createdFor, 'fn-a');
  });

  test('the security-group set matches in any order', () => {
    const out = mapLambdaEnis(
      [eni({ id: 'eni-1', securityGroupIds: ['sg-b', 'sg-a', 'sg-c'] })],
      [fn('fn-a', ['subnet-1'], ['sg-c', 'sg-a', 'sg-b'])],
    );
    assert.deepEqual(out[0].functions, ['fn-a']);
  });

  test('a superset or a subset of the groups does not match', () => {
    const functions = [
      fn('fn-super', ['subnet-1'], ['sg-a', 'sg-b', 'sg-c']),
      fn('fn-sub', ['subnet-1'], ['sg-a']),
      fn('fn-other', ['subnet-1'], ['sg-a', 'sg-z']),
    ];
    const out = mapLambdaEnis(
      [eni({ id: 'eni-1', securityGroupIds: ['sg-a', 'sg-b'], description: `AWS Lambda VPC ENI-gone-${UUID}` })],
      functions,
    );
    assert.deepEqual(out[0].functions, []);
  });

  test("the subnet must be one of the function's subnets", () => {
    const functions = [fn('fn-a', ['subnet-1', 'subnet-2']), fn('fn-b', ['subnet-3'])];
    const out = mapLambdaEnis([eni({ id: 'eni-1', subnetId: 'subnet-2', description: `AWS Lambda VPC ENI-x-${UUID}` })], functions);
    assert.deepEqual(out[0].functions, ['fn-a']);
  });

  test('a function without a VPC config never matches', () => {
    const out = mapLambdaEnis([eni({ id: 'eni-1', description: `AWS Lambda VPC ENI-nope-${UUID}` })], [fn('fn-novpc', undefined)]);
    assert.deepEqual(out[0].functions, []);
  });

  test('a shared ENI lists every function with that subnet and group set, sorted', () => {
    const functions = [
      fn('zeta', ['subnet-1']),
      fn('alpha', ['subnet-1', 'subnet-2']),
      fn('mid', ['subnet-1']),
      fn('elsewhere', ['subnet-9']),
    ];
    const out = mapLambdaEnis([eni({ id: 'eni-1', description: `AWS Lambda VPC ENI-zeta-${UUID}` })], functions);
    assert.deepEqual(out[0].functions, ['alpha', 'mid', 'zeta']);
    assert.equal(out[0].createdFor, 'zeta');
  });

  test('the description hint is used only when no function matches', () => {
    // Matches by configuration: the description's function is not added.
    const functions = [fn('current', ['subnet-1']), fn('creator', ['subnet-1'], ['sg-new'])];
    const matched = mapLambdaEnis([eni({ id: 'eni-1', description: `AWS Lambda VPC ENI-creator-${UUID}` })], functions);
    assert.deepEqual(matched[0].functions, ['current']);
    assert.equal(matched[0].createdFor, 'creator');
    // Nothing matches any more (the creator changed its groups): the hint names it.
    const hinted = mapLambdaEnis(
      [eni({ id: 'eni-1', description: `AWS Lambda VPC ENI-creator-${UUID}`, securityGroupIds: ['sg-old'] })],
      functions,
    );
    assert.deepEqual(hinted[0].functions, ['creator']);
    // The hint names a function that does not exist: nothing.
    const unknown = mapLambdaEnis(
      [eni({ id: 'eni-1', description: `AWS Lambda VPC ENI-deleted-fn-${UUID}`, securityGroupIds: ['sg-old'] })],
      functions,
    );
    assert.deepEqual(unknown[0].functions, []);
    assert.equal(unknown[0].createdFor, 'deleted-fn');
  });

  test('legacy ENIs are narrowed to the function in the requester id', () => {
    const functions = [fn('fn-a', ['subnet-1']), fn('fn-b', ['subnet-1'])];
    const legacy = (requesterId?: string) =>
      eni({ id: 'eni-legacy', type: 'interface', description: 'AWS Lambda VPC ENI: 0c3d6b2e-5e1b-4f7a-8f52-2d4a8b9a7c11', requesterId });
    const [narrowed] = mapLambdaEnis([legacy('AROAEXAMPLEROLEID:fn-b')], functions);
    assert.equal(narrowed.legacy, true);
    assert.deepEqual(narrowed.functions, ['fn-b']);
    assert.equal(narrowed.createdFor, undefined);
    // The requester names no candidate: every candidate stays.
    const [other] = mapLambdaEnis([legacy('AROAEXAMPLEROLEID:fn-z')], functions);
    assert.deepEqual(other.functions, ['fn-a', 'fn-b']);
    // No requester id: every candidate stays.
    const [none] = mapLambdaEnis([legacy(undefined)], functions);
    assert.deepEqual(none.functions, ['fn-a', 'fn-b']);
  });

  test('a legacy requester id naming a function that does not match the configuration is not trusted', () => {
    const functions = [fn('fn-a', ['subnet-1']), fn('fn-b', ['subnet-2'])];
    const [l] = mapLambdaEnis(
      [eni({ id: 'eni-legacy', type: 'interface', description: 'AWS Lambda VPC ENI: x', requesterId: 'AROAEXAMPLEROLEID:fn-b' })],
      functions,
    );
    assert.deepEqual(l.functions, ['fn-a']);
  });

  test('a Hyperplane ENI is never narrowed by its (opaque) requester id', () => {
    const functions = [fn('fn-a', ['subnet-1']), fn('fn-b', ['subnet-1'])];
    const [l] = mapLambdaEnis([eni({ id: 'eni-1', requesterId: 'AROAEXAMPLEROLEID:fn-b' })], functions);
    assert.equal(l.legacy, false);
    assert.deepEqual(l.functions, ['fn-a', 'fn-b']);
  });

  test('InterfaceType lambda with a legacy-looking description is not legacy', () => {
    const [l] = mapLambdaEnis(
      [eni({ id: 'eni-1', description: 'AWS Lambda VPC ENI: x', requesterId: 'R:fn-b' })],
      [fn('fn-a', ['subnet-1']), fn('fn-b', ['subnet-1'])],
    );
    assert.equal(l.legacy, false);
    assert.deepEqual(l.functions, ['fn-a', 'fn-b']);
  });

  test('no ENIs or no functions give sensible empties', () => {
    assert.deepEqual(mapLambdaEnis([], [fn('fn-a', ['subnet-1'])]), []);
    const [l] = mapLambdaEnis([eni({ id: 'eni-1' })], []);
    assert.deepEqual(l.functions, []);
  });
});
