// Generates one scenario directory and its labels file from options: cast, account, anomaly plan, metrics, then every recorded response.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildAccount } from './account';
import { planDemo, planRandom, type Label } from './anomalies';
import { demoBenign, demoCast } from './cast-demo';
import { randomCast } from './cast-random';
import { writeFlows, type FlowStats } from './flows';
import { makeHostile, type HostileField } from './hostile';
import { describeFlowLogs, describeNetworkInterfaces, listFunctions, listTags } from './inventory';
import { simulateMetrics, writeMetrics } from './metrics';
import type { BenignNote, Cast, FunctionSpec, GenOptions } from './model';
import { Rng } from './random';
import { HOUR_S, iso, makeSpan, weeklyHours } from './time';
import { writeTrail } from './trail';
import { arrangeTraps, ipRangesDocument, planTraps, trapsBenign, trapsCast } from './traps';
import { demoIam, demoSecurityGroups } from './iam';
import { writeJson } from './write';

export interface LabelsFile {
  profile: string;
  seed: number;
  format: string;
  functions: string[];
  anomalies: Label[];
  benign: BenignNote[];
  /** The hostile profile: which fields carry which payloads (src/gen/hostile.ts). */
  hostile?: HostileField[];
}

export interface GenResult {
  dir: string;
  labelsPath: string;
  flowLogPath: string;
  flows: FlowStats;
  events: number;
  functions: number;
  enis: number;
  labels: LabelsFile;
  /** Wall-clock seconds per output, for judging the generator itself. */
  seconds: { flows: number; trail: number; metrics: number };
}

function since(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** What a previous run may have left in the directory; nothing else there is touched. */
const OUTPUTS = ['scenario.json', 'lambda', 'ec2', 'flowlogs', 'cloudtrail', 'cloudwatch', 'ip-ranges.json', 'iam'];

export async function generateScenario(opts: GenOptions): Promise<GenResult> {
  if (opts.days < 2) throw new Error('--days must be at least 2 (a baseline day and the detection day)');
  const span = makeSpan(opts.now, opts.days);
  const stream = (label: string) => Rng.derive(opts.seed, label);

  // The hostile profile is the demo account with hostile strings: the same functions, anomalies and findings.
  const demoLike = opts.profile === 'demo' || opts.profile === 'hostile';
  let cast: Cast;
  let benign: BenignNote[];
  if (demoLike) {
    cast = demoCast(stream('cast'), opts.days);
    benign = [];
  } else if (opts.profile === 'traps') {
    cast = trapsCast(stream('cast'));
    benign = [];
  } else {
    const random = randomCast(stream('cast'), opts.functions, opts.profile === 'scale', opts.days, opts.securityGroups);
    cast = random.cast;
    benign = random.benign;
  }
  const account = buildAccount(cast, span, stream('account'));
  const traps = opts.profile === 'traps' ? arrangeTraps(account, span, stream('traps')) : undefined;
  const plan = demoLike
    ? planDemo(account, span, stream('anomalies'))
    : traps
      ? planTraps(account, span, stream('anomalies'), traps, stream('trail-recorded'))
      : planRandom(account, span, stream('anomalies'));
  if (traps) benign = trapsBenign(account, traps);
  const hostile = opts.profile === 'hostile' ? makeHostile(account, plan) : undefined;

  // Functions must have run whenever they are seen doing something.
  const mustRun = new Map<FunctionSpec, Set<number>>();
  const need = (fn: FunctionSpec, hour: number) => {
    const set = mustRun.get(fn) ?? new Set<number>();
    set.add(hour);
    mustRun.set(fn, set);
  };
  for (const inj of plan.net) need(inj.fn, Math.floor((inj.time - span.start) / HOUR_S));
  for (const inj of plan.api) need(inj.fn, Math.floor((inj.time - span.start) / HOUR_S));
  let weeklyInBaseline = 0;
  for (const fn of account.functions) {
    for (const conv of fn.conversations) {
      if (!conv.weekly) continue;
      const hours = weeklyHours(span, conv.weekly.weekday, conv.weekly.hour);
      for (const h of hours) need(fn, h);
      weeklyInBaseline = hours.filter((h) => h < span.detectHour).length;
    }
  }
  if (demoLike) benign = demoBenign(new Date(span.detectStart * 1000).getUTCDay(), weeklyInBaseline);

  const series = simulateMetrics(account, span, plan.spikes, mustRun, stream('metrics'));

  const dir = opts.out;
  for (const name of OUTPUTS) rmSync(join(dir, name), { recursive: true, force: true });
  writeJson(
    join(dir, 'scenario.json'),
    {
      formatVersion: 1,
      accountId: account.accountId,
      region: account.region,
      // Hour-aligned, like the metric periods: the scan's detection window is exactly the generated one.
      recordedAt: iso(span.end),
      description: `generated: profile=${opts.profile} seed=${opts.seed} format=${opts.format} interval=${opts.interval}s days=${opts.days}`,
    },
    2,
  );
  writeJson(join(dir, 'lambda', 'list-functions.json'), listFunctions(account));
  writeJson(join(dir, 'lambda', 'tags.json'), listTags(account));
  writeJson(join(dir, 'ec2', 'describe-network-interfaces.json'), describeNetworkInterfaces(account, stream('inventory')));
  writeJson(join(dir, 'ec2', 'describe-flow-logs.json'), describeFlowLogs(account, opts.format, opts.interval));
  // AWS's ip-ranges document, which the demo and the traps accounts' service peers are named from.
  if (traps || opts.profile === 'demo') writeJson(join(dir, 'ip-ranges.json'), ipRangesDocument(span));
  if (opts.profile === 'demo') {
    // The permissions reads: roles granting more than the functions use, security groups wider than their peers need.
    const iam = demoIam(account);
    writeJson(join(dir, 'iam', 'roles.json'), iam.roles);
    writeJson(join(dir, 'iam', 'policies.json'), iam.policies);
    writeJson(join(dir, 'ec2', 'describe-security-groups.json'), demoSecurityGroups(account));
  }
  const flowLogPath = join(dir, 'flowlogs', `${account.flowLogId}.log${opts.gzip ? '.gz' : ''}`);
  let t0 = process.hrtime.bigint();
  const flows = await writeFlows(flowLogPath, opts, account, span, series, plan.net, stream('flows'));
  const flowSeconds = since(t0);
  t0 = process.hrtime.bigint();
  const events = await writeTrail(
    join(dir, 'cloudtrail', 'lookup-events.json'),
    opts,
    account,
    span,
    series,
    plan.api,
    stream('trail'),
    plan.recorded,
  );
  const trailSeconds = since(t0);
  t0 = process.hrtime.bigint();
  await writeMetrics(join(dir, 'cloudwatch', 'get-metric-data.json'), account, span, series);
  const metricSeconds = since(t0);

  const labels: LabelsFile = {
    profile: opts.profile,
    seed: opts.seed,
    format: opts.format,
    functions: account.functions.map((f) => f.name),
    anomalies: plan.labels,
    benign,
  };
  if (hostile) labels.hostile = hostile;
  writeJson(opts.labels, labels, 2);
  return {
    dir,
    labelsPath: opts.labels,
    flowLogPath,
    flows,
    events,
    functions: account.functions.length,
    enis: account.enis.filter((e) => e.deletedAt === undefined).length,
    labels,
    seconds: { flows: flowSeconds, trail: trailSeconds, metrics: metricSeconds },
  };
}
