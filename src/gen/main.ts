// `npm run gen:scenario -- --out DIR ...`: command-line entry of the scenario generator.
import { Command, InvalidArgumentError, Option } from 'commander';
import { generateScenario } from './generate';
import type { FlowFormatName, GenOptions, ProfileName } from './model';
import { parseNow } from './time';

const DEFAULT_NOW = '2026-11-23T00:00:00Z';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

interface RawOptions {
  out: string;
  profile: ProfileName;
  functions?: number;
  days: number;
  seed: number;
  format: FlowFormatName;
  interval?: string;
  recordsPerEniHour?: number;
  securityGroups?: number;
  gzip?: boolean;
  labels?: string;
  now: string;
  peerSide?: boolean;
}

export function optionsFromArgv(argv: readonly string[]): GenOptions {
  const program = new Command()
    .name('gen:scenario')
    .description('Generate a recorded-account scenario directory (format v1) and its labels file.')
    .requiredOption('--out <dir>', 'scenario directory to write')
    .addOption(new Option('--profile <name>', 'cast of functions').choices(['demo', 'mixed', 'scale', 'hostile', 'traps']).default('demo'))
    .option(
      '--functions <n>',
      'number of functions (mixed: 16, scale: 1000; demo and hostile have their own seven, traps its own nine)',
      positiveInt('--functions'),
    )
    .option('--days <d>', 'recorded span in days: baseline plus the one-day detection window', positiveInt('--days'), 15)
    .option(
      '--seed <s>',
      'random seed; the same arguments give byte-identical output',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n)) throw new InvalidArgumentError('--seed must be an integer');
        return n;
      },
      1,
    )
    .addOption(new Option('--format <f>', 'flow-log record format').choices(['v2', 'v5', 'custom']).default('v2'))
    .addOption(new Option('--interval <seconds>', 'flow-log aggregation interval (scale: 60)').choices(['60', '600']))
    .option('--records-per-eni-hour <n>', 'mean traffic records per Lambda ENI-hour (scale: 100)', positiveInt('--records-per-eni-hour'))
    .option(
      '--security-groups <n>',
      'security groups the VPC functions draw from (mixed, scale; default: one per 2.5 VPC functions): fewer groups, fewer Lambda ENIs',
      positiveInt('--security-groups'),
    )
    .option('--gzip', 'gzip the flow log (default except for scale)')
    .option('--no-gzip', 'write the flow log uncompressed')
    .option('--peer-side', "also log the peer ENIs' side of each conversation (default except for scale)")
    .option('--no-peer-side', 'log Lambda ENIs only')
    .option('--labels <file>', 'labels file (default: <out>.labels.json)')
    .option('--now <iso>', 'recording time (rounded down to the hour)', DEFAULT_NOW)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv, { from: 'user' });
  const raw = program.opts<RawOptions>();
  const scale = raw.profile === 'scale';
  const out = raw.out.replace(/[\\/]+$/, '');
  const opts: GenOptions = {
    out,
    profile: raw.profile,
    functions: raw.functions ?? (scale ? 1000 : raw.profile === 'mixed' ? 16 : raw.profile === 'traps' ? 9 : 7),
    days: raw.days,
    seed: raw.seed,
    format: raw.format,
    interval: raw.interval === '60' || (raw.interval === undefined && scale) ? 60 : 600,
    gzip: raw.gzip ?? !scale,
    labels: raw.labels ?? `${out}.labels.json`,
    now: parseNow(raw.now),
    peerSide: raw.peerSide ?? !scale,
    trailDensity: scale ? 0.3 : 1,
  };
  const perEniHour = raw.recordsPerEniHour ?? (scale ? 100 : undefined);
  if (perEniHour !== undefined) opts.recordsPerEniHour = perEniHour;
  if (raw.securityGroups !== undefined) opts.securityGroups = raw.securityGroups;
  if ((raw.profile === 'demo' || raw.profile === 'hostile') && raw.functions !== undefined && raw.functions !== 7) {
    process.stderr.write(`gen:scenario: --functions is ignored by the ${raw.profile} profile (it has its own seven functions)\n`);
  }
  if (raw.profile === 'traps' && raw.functions !== undefined && raw.functions !== 9) {
    process.stderr.write('gen:scenario: --functions is ignored by the traps profile (it has its own nine functions)\n');
  }
  return opts;
}

async function main(): Promise<void> {
  let opts: GenOptions;
  try {
    opts = optionsFromArgv(process.argv.slice(2));
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') process.exit(code === 0 ? 0 : 2);
    process.stderr.write(`gen:scenario: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const began = process.hrtime.bigint();
  const r = await generateScenario(opts);
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const required = r.labels.anomalies.filter((a) => a.kinds.length > 0 && !a.optional).length;
  process.stdout.write(
    `wrote ${r.dir}: ${r.functions} functions, ${r.enis} ENIs (${r.flows.lambdaEnis} Lambda), ` +
      `${r.flows.records} flow records (${r.flows.lambdaTraffic} traffic records on Lambda ENIs, ${r.flows.nodata} NODATA)` +
      (r.flows.subnetRecords !== undefined ? ` and ${r.flows.subnetRecords} in the subnet flow log, ` : ', ') +
      `${r.events} CloudTrail events; labels ${r.labelsPath} (${required} anomalies); ${seconds.toFixed(1)} s ` +
      `(flows ${r.seconds.flows.toFixed(1)} s, CloudTrail ${r.seconds.trail.toFixed(1)} s, metrics ${r.seconds.metrics.toFixed(1)} s)\n`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`gen:scenario: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
