// ENI lifetimes and function changes from CloudTrail's management events: their mapping, attribution of ENIs that no longer exist, unknown ENIs, coverage, deploy context.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { addDeployContext } from '../../src/core/detect/deploys';
import { deploySentence, NO_CHANGE_BEFORE } from '../../src/report/presentation';
import { analyseMetrics, fmtCount, usualHourly } from '../../src/core/detect/metric-findings';
import { hourlyMetrics } from '../../src/core/metrics/hourly';
import { EniHistory } from '../../src/core/inventory/history';
import { attributeLifetime, eniLifetimes } from '../../src/core/inventory/lifetimes';
import type {
  Finding,
  FlowLogConfig,
  FunctionReport,
  LambdaFunction,
  MetricSeries,
  NetworkInterface,
  ScanReport,
  TrailEvent,
} from '../../src/core/model';
import {
  SourceError,
  type AccountInfo,
  type FlowData,
  type ManagementEventsRequest,
  type TelemetrySource,
  type TrailRequest,
} from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { functionChanges, functionNameOf, vpcPeriods } from '../../src/core/trail/function-changes';
import { actorName, managementEventFromAws } from '../../src/core/trail/management';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 23);
const DETECT = NOW - 24 * H;
const BASE = DETECT - 7 * 24 * H;
const OPTIONS = { baselineDays: 7, detectHours: 24 };
const sec = (ms: number) => Math.floor(ms / 1000);
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

const ACCOUNT = '123456789012';
const LEDGER_ROLE = 'ledger-role';
const DEPLOYER = `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/codebuild-3238c9d1`;
const OLD_IP = '10.0.1.10';
const NEW_IP = '10.0.1.20';
const DB = '10.0.3.14';
/** The security group changed 1 h 30 min into the detection window; Lambda replaced the ENI, then deleted the old one. */
const CHANGED = DETECT + 90 * 60_000;
const REPLACED = CHANGED + 60_000;
const DELETED = CHANGED + 45 * 60_000;

// ---------------------------------------------------------------- CloudTrail's records, as LookupEvents returns them

let ids = 0;
function raw(
  eventName: string,
  eventSource: string,
  time: number,
  arn: string,
  requestParameters: unknown,
  responseElements: unknown,
  errorCode?: string,
): unknown {
  const eventID = `evt-${++ids}`;
  const session = arn.split('/').pop();
  return {
    EventId: eventID,
    EventName: eventName,
    EventTime: new Date(time).toISOString(),
    EventSource: eventSource,
    Username: session,
    CloudTrailEvent: JSON.stringify({
      eventVersion: '1.09',
      userIdentity: { type: 'AssumedRole', arn, accountId: ACCOUNT },
      eventTime: new Date(time).toISOString(),
      eventSource,
      eventName,
      requestParameters,
      responseElements,
      eventID,
      ...(errorCode ? { errorCode } : {}),
    }),
  };
}

const lambdaSession = (role: string, n: number) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/awslambda_${n}_20261122T014950`;

function createEni(id: string, ip: string, sg: string, time: number, role = LEDGER_ROLE, fn = 'ledger'): unknown {
  const description = `AWS Lambda VPC ENI-${fn}-b128f7a2-2a70-4b2e-a6d1-af9eafa4865e`;
  return raw(
    'CreateNetworkInterface',
    'ec2.amazonaws.com',
    time,
    lambdaSession(role, 1),
    { subnetId: 'subnet-1', description, groupSet: { items: [{ groupId: sg }] } },
    {
      requestId: 'r-1',
      networkInterface: {
        networkInterfaceId: id,
        subnetId: 'subnet-1',
        vpcId: 'vpc-1',
        description,
        interfaceType: 'lambda',
        privateIpAddress: ip,
        groupSet: { items: [{ groupId: sg, groupName: sg }] },
        privateIpAddressesSet: { item: [{ privateIpAddress: ip, primary: true }] },
        ipv6AddressesSet: {},
      },
    },
  );
}

const deleteEni = (id: string, time: number, errorCode?: string) =>
  raw(
    'DeleteNetworkInterface',
    'ec2.amazonaws.com',
    time,
    lambdaSession(LEDGER_ROLE, 2),
    { networkInterfaceId: id },
    { requestId: 'r-2', _return: true },
    errorCode,
  );

const updateConfiguration = (fn: string, sg: string, time: number) =>
  raw(
    'UpdateFunctionConfiguration20150331v2',
    'lambda.amazonaws.com',
    time,
    DEPLOYER,
    { functionName: fn, vpcConfig: { subnetIds: ['subnet-1'], securityGroupIds: [sg] } },
    { functionName: fn },
  );

const updateCode = (fnRef: string, time: number) =>
  raw(
    'UpdateFunctionCode20150331v2',
    'lambda.amazonaws.com',
    time,
    DEPLOYER,
    { functionName: fnRef, publish: false },
    { functionName: fnRef.split(':').pop() },
  );

// ---------------------------------------------------------------- mapping

describe('management events: mapping', () => {
  test('a LookupEvents record keeps its caller, request parameters and response elements', () => {
    const e = managementEventFromAws(createEni('eni-old', OLD_IP, 'sg-old', BASE));
    assert.equal(e.eventName, 'CreateNetworkInterface');
    assert.equal(e.roleName, LEDGER_ROLE);
    assert.match(e.sessionName ?? '', /^awslambda_/);
    assert.equal(e.actor, lambdaSession(LEDGER_ROLE, 1));
    assert.equal((e.requestParameters?.groupSet as { items: unknown[] }).items.length, 1);
    assert.equal((e.responseElements?.networkInterface as { networkInterfaceId: string }).networkInterfaceId, 'eni-old');
    assert.equal(actorName(e.actor), `${LEDGER_ROLE}/awslambda_1_20261122T014950`);
    assert.equal(actorName(`arn:aws:iam::${ACCOUNT}:user/ops/alice`), 'alice');
    assert.equal(actorName(`arn:aws:iam::${ACCOUNT}:root`), 'root');
    assert.equal(actorName(undefined), undefined);
  });

  test('a function is named by name, full ARN (with or without a qualifier) or partial ARN', () => {
    assert.equal(functionNameOf('ledger'), 'ledger');
    assert.equal(functionNameOf(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:ledger`), 'ledger');
    assert.equal(functionNameOf(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:ledger:prod`), 'ledger');
    assert.equal(functionNameOf(`${ACCOUNT}:function:ledger`), 'ledger');
    assert.equal(functionNameOf('ledger:prod'), 'ledger');
    assert.equal(functionNameOf(''), undefined);
    assert.equal(functionNameOf(42), undefined);
  });

  test('ENI lifetimes: created and deleted with address, subnet, groups, description and creating role; failed calls and repeats left out', () => {
    const events = [
      createEni('eni-old', OLD_IP, 'sg-old', BASE - 30 * 24 * H),
      deleteEni('eni-old', DELETED - 60_000, 'Client.InvalidNetworkInterface.InUse'),
      deleteEni('eni-old', DELETED),
      createEni('eni-new', NEW_IP, 'sg-new', REPLACED),
      createEni('eni-new', NEW_IP, 'sg-new', REPLACED),
      raw('CreateNetworkInterface', 'ec2.amazonaws.com', BASE, lambdaSession(LEDGER_ROLE, 3), {}, undefined, 'UnauthorizedOperation'),
    ].map(managementEventFromAws);
    const lifetimes = eniLifetimes(events);
    assert.deepEqual([...lifetimes.keys()].sort(), ['eni-new', 'eni-old']);
    const old = lifetimes.get('eni-old')!;
    assert.equal(old.created, BASE - 30 * 24 * H);
    assert.equal(old.deleted, DELETED, 'the failed deletion is not the end');
    assert.deepEqual(old.eni.privateIps, [OLD_IP]);
    assert.equal(old.eni.subnetId, 'subnet-1');
    assert.equal(old.eni.vpcId, 'vpc-1');
    assert.deepEqual(old.eni.securityGroupIds, ['sg-old']);
    assert.equal(old.eni.type, 'lambda');
    assert.match(old.eni.description, /^AWS Lambda VPC ENI-ledger-/);
    assert.equal(old.creatingRole, LEDGER_ROLE);
    assert.equal(lifetimes.get('eni-new')!.deleted, undefined);
  });

  test('function changes: successful ones only, oldest first, with who and the VPC configuration they set', () => {
    const events = [
      updateCode(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:ledger`, DETECT + 4 * H),
      updateConfiguration('ledger', 'sg-new', CHANGED),
      raw(
        'UpdateFunctionCode20150331v2',
        'lambda.amazonaws.com',
        DETECT,
        DEPLOYER,
        { functionName: 'ledger' },
        undefined,
        'AccessDeniedException',
      ),
      raw('GetFunction20150331v2', 'lambda.amazonaws.com', DETECT, DEPLOYER, { functionName: 'ledger' }, undefined),
    ].map(managementEventFromAws);
    const changes = functionChanges(events).get('ledger')!;
    assert.deepEqual(
      changes.map((c) => [c.eventName, c.time, c.by]),
      [
        ['UpdateFunctionConfiguration20150331v2', CHANGED, 'deploy-pipeline/codebuild-3238c9d1'],
        ['UpdateFunctionCode20150331v2', DETECT + 4 * H, 'deploy-pipeline/codebuild-3238c9d1'],
      ],
    );
    assert.deepEqual(changes[0]!.vpc, { subnetIds: ['subnet-1'], securityGroupIds: ['sg-new'] });
    assert.equal(changes[1]!.vpc, undefined, 'a code update sets no configuration');
  });

  test("VPC periods: between changes the earlier one's, then the current; with no change, since the lookup began or LastModified", () => {
    const fn = ledger();
    const changes = functionChanges(
      [updateConfiguration('ledger', 'sg-old', BASE), updateConfiguration('ledger', 'sg-new', CHANGED)].map(managementEventFromAws),
    ).get('ledger')!;
    assert.deepEqual(
      vpcPeriods(fn, changes, BASE - 24 * H).map((p) => [p.from, p.to, p.vpc?.securityGroupIds]),
      [
        [BASE, CHANGED, ['sg-old']],
        [CHANGED, Infinity, ['sg-new']],
      ],
    );
    assert.deepEqual(
      vpcPeriods({ ...fn, lastModified: undefined }, [], BASE - 24 * H).map((p) => p.from),
      [BASE - 24 * H],
    );
    // Both facts hold: unchanged since the earlier of the two.
    assert.deepEqual(
      vpcPeriods(fn, [], BASE - 24 * H).map((p) => p.from),
      [Date.UTC(2026, 9, 1)],
    );
    assert.deepEqual(
      vpcPeriods({ ...fn, lastModified: '2026-11-01T00:00:00.000+0000' }, [], undefined).map((p) => p.from),
      [Date.UTC(2026, 10, 1)],
    );
    assert.deepEqual(
      vpcPeriods({ ...fn, lastModified: undefined }, [], undefined).map((p) => p.from),
      [-Infinity],
    );
  });

  test('attribution: configuration history first, else the creating role with the function its description names', () => {
    const lifetimes = eniLifetimes(
      [createEni('eni-old', OLD_IP, 'sg-old', BASE - 30 * 24 * H), deleteEni('eni-old', DELETED)].map(managementEventFromAws),
    );
    const old = lifetimes.get('eni-old')!;
    const functions = [ledger(), { ...ledger(), name: 'other', role: `arn:aws:iam::${ACCOUNT}:role/other-role` }];
    const byConfig = attributeLifetime(old, functions, (f) =>
      f.name === 'other' ? [{ from: BASE, to: CHANGED, vpc: { subnetIds: ['subnet-1'], securityGroupIds: ['sg-old'] } }] : [],
    );
    assert.deepEqual(byConfig, { functions: ['other'], attributedBy: 'configuration-history' });
    // A configuration that ended before the ENI existed does not count.
    const before = attributeLifetime(old, functions, (f) =>
      f.name === 'other' ? [{ from: 0, to: BASE - 31 * 24 * H, vpc: { subnetIds: ['subnet-1'], securityGroupIds: ['sg-old'] } }] : [],
    );
    assert.deepEqual(before, { functions: ['ledger'], attributedBy: 'creating-role' });
    // The description names ledger, but another role created it: not ledger's.
    const foreign = eniLifetimes([createEni('eni-x', OLD_IP, 'sg-old', BASE, 'other-role', 'ledger')].map(managementEventFromAws)).get(
      'eni-x',
    )!;
    assert.equal(
      attributeLifetime(foreign, functions, () => []),
      undefined,
    );
  });
});

describe('the ENI history', () => {
  test('one history whichever source saw the ENI first: a span kept, its start moved back to the creation, its end to the deletion', () => {
    const h = new EniHistory();
    const eni: NetworkInterface = {
      id: 'eni-old',
      type: 'lambda',
      description: 'AWS Lambda VPC ENI-ledger-x',
      subnetId: 'subnet-1',
      vpcId: 'vpc-1',
      securityGroupIds: ['sg-old'],
      privateIps: [OLD_IP],
      ipv6Ips: [],
    };
    h.observe(DETECT, [eni], [{ eni, functions: ['ledger'], legacy: false }]);
    h.observe(NOW, [], []);
    assert.deepEqual(
      h.history(OLD_IP).map((s) => [s.eniId, s.from, s.to]),
      [['eni-old', -Infinity, NOW]],
    );
    h.recordLifetime(eni, ['someone-else'], BASE - 30 * 24 * H, DELETED);
    assert.deepEqual(
      h.history(OLD_IP).map((s) => [s.eniId, s.from, s.to, s.functions]),
      [['eni-old', BASE - 30 * 24 * H, DELETED, ['ledger']]],
    );
    // An address another ENI took later: each holds it in its own time.
    const next: NetworkInterface = { ...eni, id: 'eni-next' };
    h.recordLifetime(next, ['ledger'], DELETED + H, undefined);
    assert.equal(h.at(OLD_IP, DELETED - H)?.eniId, 'eni-old');
    assert.equal(h.at(OLD_IP, DELETED + 2 * H)?.eniId, 'eni-next');
    // EC2 listing an ENI outweighs a deletion event.
    const h2 = new EniHistory();
    h2.observe(NOW, [eni], []);
    h2.recordLifetime(eni, [], BASE, DELETED);
    assert.equal(h2.at(OLD_IP, NOW + H)?.eniId, 'eni-old');
  });
});

// ---------------------------------------------------------------- scans of a small account

function ledger(): LambdaFunction {
  return {
    name: 'ledger',
    arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:ledger`,
    role: `arn:aws:iam::${ACCOUNT}:role/${LEDGER_ROLE}`,
    runtime: 'python3.12',
    handler: 'app.handler',
    lastModified: '2026-10-01T00:00:00.000+0000',
    tags: {},
    vpc: { vpcId: 'vpc-1', subnetIds: ['subnet-1'], securityGroupIds: ['sg-new'] },
  };
}

function rec(eni: string, src: string, dst: string, sport: number, dport: number, start: number): string {
  return `2 ${ACCOUNT} ${eni} ${src} ${dst} ${sport} ${dport} 6 10 1000 ${sec(start)} ${sec(start) + 40} ACCEPT OK`;
}

interface Account {
  enis: NetworkInterface[];
  flowText: string;
  events: TrailEvent[];
  /** Raw management events, as LookupEvents would return them; undefined: the source has no such lookup. */
  management?: unknown[];
  failManagement?: (request: ManagementEventsRequest) => Error | undefined;
  functions?: LambdaFunction[];
  metrics?: MetricSeries[];
}

class AccountSource implements TelemetrySource {
  readonly label = 'memory account';
  readonly managementRequests: ManagementEventsRequest[] = [];
  readonly lookupManagementEvents?: (request: ManagementEventsRequest) => AsyncIterable<TrailEvent[]>;

  constructor(private readonly a: Account) {
    if (a.management) {
      const events = a.management.map(managementEventFromAws);
      this.lookupManagementEvents = (request) => this.management(request, events);
    }
  }

  private async *management(request: ManagementEventsRequest, events: TrailEvent[]): AsyncIterable<TrailEvent[]> {
    this.managementRequests.push(request);
    const err = this.a.failManagement?.(request);
    if (err) throw err;
    yield events.filter((e) => request.eventNames.includes(e.eventName));
  }

  async account(): Promise<AccountInfo> {
    return { accountId: ACCOUNT, region: 'us-east-1', recordedAt: NOW };
  }
  async listFunctions(): Promise<LambdaFunction[]> {
    return this.a.functions ?? [ledger()];
  }
  async listNetworkInterfaces(): Promise<NetworkInterface[]> {
    return this.a.enis;
  }
  async describeFlowLogs(): Promise<FlowLogConfig[]> {
    return [
      {
        id: 'fl-vpc',
        logFormat: '',
        destinationType: 'cloud-watch-logs',
        logGroupName: '/vpc/flow-logs',
        resourceId: 'vpc-1',
        trafficType: 'ALL',
        status: 'ACTIVE',
      },
    ];
  }
  async *readFlowLog(): AsyncIterable<FlowData> {
    const text = this.a.flowText;
    async function* chunks() {
      yield Buffer.from(text, 'latin1');
    }
    yield { kind: 'raw', source: '/vpc/flow-logs', chunks: chunks() };
  }
  async *lookupEvents(_request: TrailRequest): AsyncIterable<TrailEvent[]> {
    yield this.a.events;
  }
  async getMetrics(): Promise<MetricSeries[]> {
    return this.a.metrics ?? [];
  }
}

const newEni: NetworkInterface = {
  id: 'eni-new',
  type: 'lambda',
  description: 'AWS Lambda VPC ENI-ledger-0de474b1-b270-4945-b8c8-4b78393e37a1',
  subnetId: 'subnet-1',
  vpcId: 'vpc-1',
  securityGroupIds: ['sg-new'],
  privateIps: [NEW_IP],
  ipv6Ips: [],
  since: REPLACED,
};
const dbEni: NetworkInterface = {
  id: 'eni-db',
  type: 'interface',
  description: 'RDSNetworkInterface',
  subnetId: 'subnet-3',
  vpcId: 'vpc-1',
  securityGroupIds: ['sg-db'],
  privateIps: [DB],
  ipv6Ips: [],
  requesterId: 'amazon-rds',
};

/** The database every 3 hours: on the old ENI until the replacement, on the new one after. */
function replacedEniTraffic(): string {
  const lines: string[] = [];
  for (let t = BASE + 10 * 60_000; t < NOW; t += 3 * H) {
    const [eni, ip] = t < REPLACED ? ['eni-old', OLD_IP] : ['eni-new', NEW_IP];
    lines.push(rec(eni, ip, DB, 40000, 5432, t), rec(eni, DB, ip, 5432, 40000, t));
  }
  return lines.join('\n') + '\n';
}

const replacementEvents = () => [
  createEni('eni-old', OLD_IP, 'sg-old', BASE - 30 * 24 * H),
  updateConfiguration('ledger', 'sg-new', CHANGED),
  createEni('eni-new', NEW_IP, 'sg-new', REPLACED),
  deleteEni('eni-old', DELETED),
];

const ledgerOf = (r: ScanReport) => r.functions.find((f) => f.name === 'ledger')!;

describe('a scan: an ENI replaced in the detection window', () => {
  test('the old ENI from CloudTrail carries the baseline: no new peer; it is in the report with its lifetime and how it was tied', async () => {
    const source = new AccountSource({
      enis: [newEni, dbEni],
      flowText: replacedEniTraffic(),
      events: [],
      management: replacementEvents(),
    });
    const r = await scan(source, OPTIONS);
    const fn = ledgerOf(r);
    assert.deepEqual(
      fn.findings.filter((f) => f.kind === 'new-peer'),
      [],
    );
    const db = fn.peers.find((p) => p.address === DB);
    assert.ok(db?.inBaseline, 'the database is a baseline peer');
    const old = fn.enis.find((e) => e.id === 'eni-old');
    assert.deepEqual(old, {
      id: 'eni-old',
      privateIp: OLD_IP,
      subnetId: 'subnet-1',
      securityGroupIds: ['sg-old'],
      sharedWith: [],
      created: iso(BASE - 30 * 24 * H),
      deleted: iso(DELETED),
      attributedBy: 'creating-role',
    });
    assert.equal(fn.enis.find((e) => e.id === 'eni-new')?.attributedBy, undefined, 'a current ENI is tied by the inventory, as before');
    assert.match(fn.coverage.network, /^complete: 2 ENI\(s\).*eni-old no longer exists, tied by creating-role/);
    assert.deepEqual(r.warnings, []);
    // ENI events over all 90 days CloudTrail keeps; function changes over the windows and the day before.
    const [eniRequest, changeRequest] = source.managementRequests;
    assert.deepEqual(eniRequest?.eventNames, ['CreateNetworkInterface', 'DeleteNetworkInterface']);
    assert.equal(eniRequest?.start, NOW - 90 * 24 * H);
    assert.equal(eniRequest?.end, NOW);
    assert.ok(
      changeRequest?.eventNames.includes('UpdateFunctionCode20150331v2') && changeRequest.eventNames.includes('CreateAlias20150331'),
    );
    assert.equal(changeRequest?.start, BASE - 24 * H);
  });

  test("tied by configuration history when an earlier change set the old ENI's subnet and groups", async () => {
    const management = [updateConfiguration('ledger', 'sg-old', BASE - 12 * H), ...replacementEvents()];
    const r = await scan(new AccountSource({ enis: [newEni, dbEni], flowText: replacedEniTraffic(), events: [], management }), OPTIONS);
    const fn = ledgerOf(r);
    assert.equal(fn.enis.find((e) => e.id === 'eni-old')?.attributedBy, 'configuration-history');
    assert.deepEqual(
      fn.findings.filter((f) => f.kind === 'new-peer'),
      [],
    );
  });

  test('an ENI an earlier scan saw (the persisted history) serves when CloudTrail cannot: tied by that inventory', async () => {
    const history = new EniHistory();
    const oldEni: NetworkInterface = {
      ...newEni,
      id: 'eni-old',
      privateIps: [OLD_IP],
      securityGroupIds: ['sg-old'],
      since: BASE - 30 * 24 * H,
    };
    history.observe(DETECT, [oldEni, dbEni], [{ eni: oldEni, functions: ['ledger'], legacy: false }]);
    const r = await scan(new AccountSource({ enis: [newEni, dbEni], flowText: replacedEniTraffic(), events: [] }), { ...OPTIONS, history });
    const fn = ledgerOf(r);
    assert.deepEqual(
      fn.findings.filter((f) => f.kind === 'new-peer'),
      [],
    );
    assert.equal(fn.enis.find((e) => e.id === 'eni-old')?.attributedBy, 'inventory');
  });

  test('nothing knows the old ENI: its records are counted and warned about, and coverage is partial naming the new ENI and when it appeared', async () => {
    const denied = new SourceError('access-denied', 'not authorized', 'cloudtrail:LookupEvents');
    const r = await scan(
      new AccountSource({
        enis: [newEni, dbEni],
        flowText: replacedEniTraffic(),
        events: [],
        management: replacementEvents(),
        failManagement: (req) => (req.eventNames.includes('CreateNetworkInterface') ? denied : undefined),
      }),
      OPTIONS,
    );
    const fn = ledgerOf(r);
    const oldRecords = replacedEniTraffic()
      .split('\n')
      .filter((l) => l.includes(' eni-old ')).length;
    const warning = r.warnings.find((w) => w.includes('neither EC2 nor CloudTrail'));
    assert.ok(warning, r.warnings.join(' | '));
    assert.match(warning, new RegExp(`^${oldRecords} flow record\\(s\\) on 1 ENI\\(s\\) .*: eni-old \\(${oldRecords}\\)$`));
    assert.ok(r.warnings.some((w) => w.startsWith('cloudtrail:LookupEvents (ENI history): access denied: needs cloudtrail:LookupEvents')));
    assert.equal(fn.coverageStatus?.network.status, 'partial');
    assert.equal(fn.coverageStatus?.network.iamAction, 'cloudtrail:LookupEvents');
    assert.match(fn.coverage.network, new RegExp(`^partial: ENI eni-new appeared at ${iso(REPLACED)}, inside the detection window`));
    // Without the old ENI the database looks new: the coverage is what tells the reader why.
    assert.ok(fn.findings.some((f) => f.kind === 'new-peer' && f.subject === `${DB}:5432/tcp`));
  });

  test('an ENI that appeared before the windows is no gap', async () => {
    const early = { ...newEni, since: BASE - 24 * H };
    const lines = replacedEniTraffic().replaceAll(' eni-old ', ' eni-new ').replaceAll(OLD_IP, NEW_IP);
    const r = await scan(new AccountSource({ enis: [early, dbEni], flowText: lines, events: [] }), OPTIONS);
    assert.match(ledgerOf(r).coverage.network, /^complete/);
  });
});

// ---------------------------------------------------------------- deploy context

const callEvent = (eventName: string, time: number, n: number): TrailEvent => ({
  eventId: `call-${eventName}-${n}`,
  eventTime: time,
  eventSource: 'ssm.amazonaws.com',
  eventName,
  sessionName: 'ledger',
  roleName: LEDGER_ROLE,
});

/** A deploy at DETECT + 4 h; GetParametersByPath from 1 h 41 min (and some seconds) after it. */
const DEPLOY = DETECT + 4 * H;

describe('deploy context', () => {
  const calls = [
    callEvent('GetParametersByPath', DEPLOY + 101 * 60_000 + 38_000, 1),
    callEvent('GetParametersByPath', DEPLOY + 3 * H, 2),
    callEvent('GetParameter', BASE + H, 3),
  ];
  const account = (over: Partial<Account> = {}): Account => ({
    enis: [],
    flowText: '',
    events: calls,
    management: [updateCode('ledger', DEPLOY)],
    functions: [{ ...ledger(), vpc: undefined }],
    ...over,
  });

  test('a finding that started within 24 h after a change names it: evidence and sentence', async () => {
    const r = await scan(new AccountSource(account()), OPTIONS);
    const f = ledgerOf(r).findings.find((x) => x.subject === 'ssm.amazonaws.com:GetParametersByPath');
    assert.ok(f);
    assert.deepEqual(f.evidence.deploy, {
      eventName: 'UpdateFunctionCode20150331v2',
      time: iso(DEPLOY),
      by: 'deploy-pipeline/codebuild-3238c9d1',
      eventId: (f.evidence.deploy as { eventId: string }).eventId,
      minutesBefore: 101,
    });
    assert.match(f.evidence.deploy!.eventId!, /^evt-/);
    // The engine keeps the change as data; every view words it with one sentence.
    assert.equal(
      deploySentence(f.evidence),
      `Started 1 h 41 min after UpdateFunctionCode20150331v2 at ${iso(DEPLOY).slice(0, 10)} ${iso(DEPLOY).slice(11, 16)}Z by deploy-pipeline/codebuild-3238c9d1`,
    );
    assert.equal(f.evidence.noChangeBefore, undefined);
  });

  test("the function's own calls: a change more than 24 h before the start is not named; with the changes read, the finding says there was none", () => {
    const finding = (firstSeen: string): Finding => ({
      id: 'x',
      kind: 'new-api-call',
      subject: 's',
      severity: 'medium',
      attribution: 'exact',
      title: 't',
      detail: 'New.',
      evidence: { firstSeen },
    });
    const report = (findings: FunctionReport['findings']): FunctionReport => ({
      name: 'ledger',
      arn: 'a',
      inVpc: false,
      enis: [],
      peers: [],
      apiCalls: [],
      findings,
      coverage: { network: '', cloudtrail: '', metrics: '' },
    });
    const change = {
      functionName: 'ledger',
      eventName: 'UpdateFunctionCode20150331v2',
      time: DEPLOY,
      eventId: 'evt-d',
      by: 'deploy-pipeline/codebuild-1',
    };
    const fn = { ...ledger(), lastModified: undefined };
    const within = finding(iso(DEPLOY + 24 * H));
    const after = finding(iso(DEPLOY + 24 * H + 60_000));
    const before = finding(iso(DEPLOY - 60_000));
    const noStart = { ...finding(''), evidence: {} };
    addDeployContext([report([within, after, before, noStart])], [fn], new Map([['ledger', [change]]]));
    assert.equal(within.evidence.deploy?.minutesBefore, 24 * 60);
    assert.match(
      deploySentence(within.evidence) ?? '',
      /^Started 24 h after UpdateFunctionCode20150331v2 at .* by deploy-pipeline\/codebuild-1$/,
    );
    assert.equal(within.detail, 'New.', "the detail is the detection's own");
    for (const f of [after, before]) {
      assert.equal(f.evidence.deploy, undefined);
      assert.equal(f.evidence.noChangeBefore, true);
      assert.equal(deploySentence(f.evidence), NO_CHANGE_BEFORE);
    }
    assert.deepEqual(noStart.evidence, {}, 'a finding without a start is left alone');
    assert.equal(noStart.detail, 'New.');

    // The changes could not be read: nothing is said, unless LastModified tells of a change.
    const unread = finding(iso(DEPLOY + H));
    addDeployContext([report([unread])], [fn], undefined);
    assert.deepEqual(unread.evidence, { firstSeen: iso(DEPLOY + H) });
    assert.equal(unread.detail, 'New.');
    const modified = finding(iso(DEPLOY + H));
    addDeployContext([report([modified])], [{ ...fn, lastModified: new Date(DEPLOY).toISOString().replace('Z', '+0000') }], undefined);
    assert.deepEqual(modified.evidence.deploy, { eventName: 'LastModified', time: iso(DEPLOY), minutesBefore: 60 });
    assert.match(
      deploySentence(modified.evidence) ?? '',
      /^Started 1 h after the function was last modified \(ListFunctions' LastModified\) at /,
    );
    // LastModified and CloudTrail's event of the same change: the event, which says who made it.
    const both = finding(iso(DEPLOY + 5 * 60_000));
    addDeployContext([report([both])], [{ ...fn, lastModified: new Date(DEPLOY + 800).toISOString() }], new Map([['ledger', [change]]]));
    assert.equal(both.evidence.deploy?.eventName, 'UpdateFunctionCode20150331v2');
    assert.equal(both.evidence.deploy?.minutesBefore, 5);
  });

  test('a failed change lookup: nothing said in the findings, the cloudtrail coverage names cloudtrail:LookupEvents', async () => {
    const denied = new SourceError('access-denied', 'not authorized', 'cloudtrail:LookupEvents');
    const r = await scan(new AccountSource(account({ failManagement: () => denied })), OPTIONS);
    assert.ok(ledgerOf(r).findings.length > 0);
    const fn = ledgerOf(r);
    for (const f of fn.findings) {
      assert.equal(f.evidence.deploy, undefined);
      assert.equal(f.evidence.noChangeBefore, undefined);
      assert.ok(!f.detail.includes('No code or configuration change'));
    }
    assert.equal(fn.coverageStatus?.cloudtrail.status, 'partial');
    assert.equal(fn.coverageStatus?.cloudtrail.iamAction, 'cloudtrail:LookupEvents');
    assert.match(fn.coverage.cloudtrail, /code and configuration changes were not read \(access denied: needs cloudtrail:LookupEvents\)/);
  });
});

describe('rates below one', () => {
  test('keep their decimals: a daily job is not said to run about 0 times', () => {
    assert.equal(usualHourly(12.4), 'it usually runs about 12 times (baseline mean)');
    assert.equal(usualHourly(0.05), 'it usually runs 0.05 times an hour (baseline mean), about once a day');
    assert.equal(usualHourly(0.0417), 'it usually runs 0.042 times an hour (baseline mean), about once a day');
    assert.equal(usualHourly(0.25), 'it usually runs 0.25 times an hour (baseline mean), about 6 times a day');
    assert.equal(usualHourly(0.012), 'it usually runs 0.012 times an hour (baseline mean), about once every 3 days');
    assert.equal(usualHourly(0), 'it never ran in the baseline');
    assert.equal(fmtCount(0.4), '0.4');
    assert.equal(fmtCount(3.6), '4');
    assert.equal(fmtCount(0), '0');
  });

  test('a spike on a function that usually runs less than once an hour says how often it does', () => {
    const days = 14;
    const start = Date.UTC(2026, 10, 1);
    // At 10:00 it ran on one day of the fourteen; on the detection day 60 times.
    const points = [
      { t: start + 3 * 24 * H + 10 * H, v: 1 },
      { t: start + days * 24 * H + 10 * H, v: 60 },
    ];
    const m = hourlyMetrics(
      [{ functionName: 'f', metric: 'Invocations', stat: 'Sum', periodSeconds: 3600, points }],
      start,
      (days + 1) * 24,
    );
    const [spike] = analyseMetrics(m, days * 24, 24).findings;
    assert.equal(spike?.kind, 'invocation-spike');
    assert.match(spike.detail, /at that time of day it usually runs 0\.071 times an hour \(baseline mean\), about 2 times a day\./);
    assert.match(spike.detail, /against about 0\.071 expected\./);
  });
});
