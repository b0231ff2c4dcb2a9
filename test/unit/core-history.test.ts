// EniHistory: which ENI held an address when, across inventory snapshots.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { mapLambdaEnis } from '../../src/core/inventory/enis';
import { EniHistory } from '../../src/core/inventory/history';
import type { LambdaFunction, NetworkInterface } from '../../src/core/model';

const H = 3_600_000;
const T = Date.UTC(2026, 10, 1);

function eni(id: string, privateIps: string[], over: Partial<NetworkInterface> = {}): NetworkInterface {
  return {
    id,
    type: 'interface',
    description: 'Primary network interface',
    subnetId: 'subnet-1',
    vpcId: 'vpc-1',
    securityGroupIds: ['sg-1'],
    privateIps,
    ipv6Ips: [],
    ...over,
  };
}

describe('EniHistory', () => {
  test('an address seen once with no attach time is held from the beginning of time', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'])], []);
    assert.equal(h.at('10.0.0.5', T)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T - 1000 * 24 * H)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T + 1000 * 24 * H)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.6', T), undefined);
  });

  test('the attach time starts the span', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'], { since: T - 5 * H })], []);
    assert.equal(h.at('10.0.0.5', T - 5 * H - 1), undefined);
    assert.equal(h.at('10.0.0.5', T - 5 * H)?.eniId, 'eni-a');
    // An attach time after the snapshot is clamped to the snapshot.
    const g = new EniHistory();
    g.observe(T, [eni('eni-a', ['10.0.0.5'], { since: T + 5 * H })], []);
    assert.equal(g.at('10.0.0.5', T)?.eniId, 'eni-a');
  });

  test('an address that moved to another ENI is attributed by time', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'], { since: T - 24 * H })], []);
    h.observe(T + 10 * H, [eni('eni-b', ['10.0.0.5'], { since: T + 4 * H })], []);
    assert.equal(h.at('10.0.0.5', T - H)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T + 4 * H - 1)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T + 4 * H)?.eniId, 'eni-b');
    assert.equal(h.at('10.0.0.5', T + 100 * H)?.eniId, 'eni-b');
    assert.deepEqual(
      h.history('10.0.0.5').map((s) => [s.eniId, s.from, s.to]),
      [
        ['eni-a', T - 24 * H, T + 4 * H],
        ['eni-b', T + 4 * H, Infinity],
      ],
    );
  });

  test('without an attach time, the move is dated at the snapshot that saw it', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'])], []);
    h.observe(T + 10 * H, [eni('eni-b', ['10.0.0.5'])], []);
    assert.equal(h.at('10.0.0.5', T + 10 * H - 1)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T + 10 * H)?.eniId, 'eni-b');
  });

  test('an ENI that is gone closes its spans at the snapshot', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5', '10.0.0.6'], { ipv6Ips: ['2600:1f18::5'] }), eni('eni-c', ['10.0.0.9'])], []);
    h.observe(T + 10 * H, [eni('eni-c', ['10.0.0.9'])], []);
    for (const a of ['10.0.0.5', '10.0.0.6', '2600:1f18::5']) {
      assert.equal(h.at(a, T + 10 * H - 1)?.eniId, 'eni-a', a);
      assert.equal(h.at(a, T + 10 * H), undefined, a);
      assert.equal(h.history(a).length, 1);
      assert.equal(h.history(a)[0].to, T + 10 * H);
    }
    assert.equal(h.at('10.0.0.9', T + 100 * H)?.eniId, 'eni-c');
  });

  test('an address dropped by an ENI that is still there is closed too', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5', '10.0.0.6'])], []);
    h.observe(T + 2 * H, [eni('eni-a', ['10.0.0.5'])], []);
    assert.equal(h.at('10.0.0.6', T + 3 * H), undefined);
    assert.equal(h.at('10.0.0.5', T + 3 * H)?.eniId, 'eni-a');
  });

  test('observing the same inventory again extends the span and refreshes what the ENI serves', () => {
    const fnA: LambdaFunction = {
      name: 'fn-a',
      arn: 'a',
      role: 'r',
      tags: {},
      vpc: { subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] },
    };
    const fnB: LambdaFunction = { ...fnA, name: 'fn-b', arn: 'b' };
    const l = eni('eni-l', ['10.0.1.1'], { type: 'lambda', description: 'AWS Lambda VPC ENI-fn-a-x' });
    const h = new EniHistory();
    h.observe(T, [l], mapLambdaEnis([l], [fnA]));
    h.observe(T + H, [l], mapLambdaEnis([l], [fnA, fnB]));
    const spans = h.history('10.0.1.1');
    assert.equal(spans.length, 1);
    assert.equal(spans[0].to, Infinity);
    assert.deepEqual(spans[0].functions, ['fn-a', 'fn-b']);
    assert.equal(h.at('10.0.1.1', T + 2 * H)?.eni.type, 'lambda');
  });

  test('public addresses are part of the history', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-nat', ['10.0.0.7'], { type: 'nat_gateway', publicIp: '54.1.2.3' })], []);
    assert.equal(h.at('54.1.2.3', T)?.eniId, 'eni-nat');
  });

  test('an address reused after a gap belongs to nobody in the gap', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'], { since: T - H })], []);
    h.observe(T + 2 * H, [], []);
    h.observe(T + 4 * H, [eni('eni-b', ['10.0.0.5'], { since: T + 3 * H })], []);
    assert.equal(h.at('10.0.0.5', T + H)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T + 2.5 * H), undefined);
    assert.equal(h.at('10.0.0.5', T + 3.5 * H)?.eniId, 'eni-b');
  });

  test('a later ENI without an attach time does not take over the time an earlier one held the address', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'])], []);
    h.observe(T + 2 * H, [], []);
    h.observe(T + 4 * H, [eni('eni-b', ['10.0.0.5'])], []);
    assert.equal(h.at('10.0.0.5', T)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T + 2 * H - 1)?.eniId, 'eni-a');
    assert.equal(h.at('10.0.0.5', T + 5 * H)?.eniId, 'eni-b');
    const back = EniHistory.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    assert.equal(back.at('10.0.0.5', T)?.eniId, 'eni-a');
    assert.equal(back.at('10.0.0.5', T + 5 * H)?.eniId, 'eni-b');
  });

  test('toJSON / fromJSON round trip keeps spans, open ends and functions', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'], { since: T - H }), eni('eni-x', ['10.0.0.8'])], []);
    h.observe(
      T + 10 * H,
      [eni('eni-b', ['10.0.0.5'], { since: T + 4 * H, type: 'lambda', description: 'AWS Lambda VPC ENI-f-x' }), eni('eni-x', ['10.0.0.8'])],
      [],
    );
    const json = h.toJSON();
    assert.equal(json.formatVersion, 1);
    // Infinity cannot be JSON: open ends are null.
    const text = JSON.stringify(json);
    assert.ok(!text.includes('Infinity'));
    const back = EniHistory.fromJSON(JSON.parse(text));
    for (const t of [T - H, T, T + 4 * H - 1, T + 4 * H, T + 50 * H]) {
      for (const a of ['10.0.0.5', '10.0.0.8']) assert.equal(back.at(a, t)?.eniId, h.at(a, t)?.eniId, `${a} at ${t}`);
    }
    assert.deepEqual(
      back.history('10.0.0.5').map((s) => [s.eniId, s.from, s.to, s.eni.type]),
      [
        ['eni-a', T - H, T + 4 * H, 'interface'],
        ['eni-b', T + 4 * H, Infinity, 'lambda'],
      ],
    );
    assert.deepEqual(back.toJSON(), json);
  });

  test('a restored history keeps learning from new snapshots', () => {
    const h = new EniHistory();
    h.observe(T, [eni('eni-a', ['10.0.0.5'], { since: T - H })], []);
    const back = EniHistory.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    back.observe(T + 5 * H, [eni('eni-b', ['10.0.0.5'], { since: T + 3 * H })], []);
    assert.equal(back.at('10.0.0.5', T + 2 * H)?.eniId, 'eni-a');
    assert.equal(back.at('10.0.0.5', T + 3 * H)?.eniId, 'eni-b');
  });
});
