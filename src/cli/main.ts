// `lambda-behavior`: the engine on the command line, for CI pipelines and scripts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
// The URL alone (for the help text): the loader itself is in the AWS bundle, loaded for a live scan.
import { AWS_IP_RANGES_URL } from '../aws/ip-ranges';
import { withHourCache } from '../core/cache/cached-source';
import { accept, DEFAULT_ACCEPT_FILE, emptyAccepted, parseAccepted, type AcceptedBehaviour } from '../core/accepted';
import { errorStack } from '../core/errors';
import { SEVERITY_RANK, type FindingKind, type ScanReport, type Severity } from '../core/model';
import { InputError, SourceError, type TelemetrySource } from '../core/ports';
import { DEFAULT_BASELINE_DAYS, DEFAULT_DETECT_HOURS, MAX_BASELINE_DAYS, MAX_DETECT_HOURS, scan } from '../core/scan';
import { writeFileAtomic } from '../node/atomic-file';
import { defaultCacheDir, FileHourCacheStore, type CachedAccountSummary } from '../node/hour-cache-file';
import { openScenario } from '../replay/scenario';
import { openRecordedPermissions } from '../replay/iam';
import type { PermissionsSource } from '../permissions/port';
import { renderPermissionsText } from '../permissions/text';
import { sanitizeForTerminal } from '../report/escape';
import { formatBytes, formatTime } from '../report/format';
import { renderHtml } from '../report/html';
import { redactReport } from '../report/redact';
import { renderSarif, type PermissionsSarifInput } from '../report/sarif';
import { renderText } from '../report/text';
import { isEventDataStore, parseAthenaTableName, type AthenaTableName } from '../shared/athena-table';

declare const PACKAGE_VERSION: string | undefined;
const VERSION = typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : '0.0.0-dev';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_BAD_INPUT = 2;

interface ScanCliOptions {
  demo?: boolean;
  scenario?: string;
  profile?: string;
  region?: string;
  flowLogsQuery?: 'insights' | 'filter';
  ipRanges?: string;
  /** Live: the bytes of flow-log objects read from S3 at most (the source's default, 2 GiB, when not given). */
  maxS3Bytes?: number;
  /** Threads parsing a large flow-log file of a scenario or many S3 objects (default: one per core, one fewer for a gzip file or S3 objects). */
  threads?: number;
  /** Live: the flow logs' Athena table, `DATABASE.TABLE`, and the workgroup it is queried in. */
  flowLogsAthena?: AthenaTableName;
  athenaWorkgroup?: string;
  /** Live: the trail asked once, in a CloudTrail Lake event data store or an Athena table, instead of LookupEvents. */
  cloudtrailLake?: string;
  cloudtrailAthena?: AthenaTableName;
  function: string[];
  ignorePeer: string[];
  ignoreApi: string[];
  format: 'text' | 'json' | 'sarif' | 'html';
  baselineDays: number;
  detectHours: number;
  now?: string;
  acceptFile?: string;
  failOn: Severity | 'none';
  output?: string;
  color?: boolean;
  redact?: boolean;
  /** SARIF: also a result per unused grant of the functions' roles (reads IAM: the scenario's files, or the live account). */
  permissions?: boolean;
  /** Where the templates are, for the grants' lines (default: the working directory). */
  source?: string;
  /** Live: the cache of closed hours' directory (`--cache DIR`), or false (`--no-cache`: fetch every hour, keep none). */
  cache?: string | false;
}

/** The bundled demo account: `media/demo` beside `dist/` in the package (or beside `src/` in a checkout). */
export function demoScenarioDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'media', 'demo');
    if (fs.existsSync(path.join(candidate, 'scenario.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new InputError('the bundled demo account (media/demo) is missing from this installation');
  }
}

function positiveInt(max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `DATABASE.TABLE` for an Athena option. */
function athenaTable(value: string): AthenaTableName {
  const name = parseAthenaTableName(value);
  if (!name) throw new InvalidArgumentError('expected DATABASE.TABLE');
  return name;
}

function eventDataStore(value: string): string {
  if (!isEventDataStore(value)) throw new InvalidArgumentError('expected an event data store id or ARN');
  return value.trim();
}

/** `2GiB`, `500MB`, `1000000`: a byte count, at least one. */
export function byteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = BYTE_UNITS[(m?.[2] || 'b').toLowerCase()];
  const n = m && unit ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a size such as 2GiB, 500MB or a number of bytes');
  return n;
}

function readAccepted(file: string | undefined, explicit: boolean): AcceptedBehaviour | undefined {
  const f = file ?? DEFAULT_ACCEPT_FILE;
  if (!fs.existsSync(f)) {
    if (explicit) throw new InputError(`${f}: accepted-behaviour file not found`);
    return undefined;
  }
  return parseAccepted(fs.readFileSync(f, 'utf8'), f);
}

/** The AWS SDK is loaded only for a live scan: replaying and the demo never pay for it. */
function loadAws(): typeof import('../aws/source') {
  // The bundle pins its SDK version: a warning about future SDK releases is nothing a user of this CLI can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../aws/source') as typeof import('../aws/source');
}

/**
 * Where the live backend keeps AWS's ip-ranges document between runs: the user's cache directory (XDG's, else
 * ~/.cache), so that every scan of the day reuses one download. The cache of closed hours is kept there too.
 */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return defaultCacheDir(env);
}

/** The live backend's ip-ranges options: `--ip-ranges FILE|URL` or AWS's published URL, cached in the user's cache directory. */
function ipRangesOptions(location: string | undefined): { location?: string; cacheDir: string } {
  return { ...(location ? { location } : {}), cacheDir: cliCacheDir() };
}

/** A profile that is in neither AWS file is a typo to say plainly, not "no credentials". */
async function checkProfile(aws: typeof import('../aws/source'), profile: string | undefined): Promise<void> {
  const missing = await aws.missingProfile(profile);
  if (missing) {
    throw new InputError(
      `profile ${missing} is not in ${process.env.AWS_CONFIG_FILE ?? '~/.aws/config'} or ${process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'}`,
    );
  }
}

async function openLive(opts: ScanCliOptions): Promise<import('../aws/source').AwsSource> {
  const aws = loadAws();
  await checkProfile(aws, opts.profile);
  return aws.openAws({
    profile: opts.profile,
    region: opts.region,
    flowLogsQuery: opts.flowLogsQuery,
    ipRanges: ipRangesOptions(opts.ipRanges),
    ...(opts.maxS3Bytes !== undefined ? { maxS3Bytes: opts.maxS3Bytes } : {}),
    ...(opts.threads !== undefined ? { flowThreads: { threads: opts.threads } } : {}),
    ...(opts.flowLogsAthena
      ? { flowLogsAthena: { ...opts.flowLogsAthena, ...(opts.athenaWorkgroup ? { workgroup: opts.athenaWorkgroup } : {}) } }
      : {}),
    ...(opts.cloudtrailLake ? { cloudTrailLake: opts.cloudtrailLake } : {}),
    ...(opts.cloudtrailAthena
      ? { cloudTrailAthena: { ...opts.cloudtrailAthena, ...(opts.athenaWorkgroup ? { workgroup: opts.athenaWorkgroup } : {}) } }
      : {}),
    onNotice: (m) => process.stderr.write(`lambda-behavior: ${sanitizeForTerminal(m)}\n`),
  });
}

/**
 * A live source answered from the cache of closed hours (`--cache DIR`, else the user's cache directory): only the
 * hours it does not hold, and the trailing ones, are fetched. `--no-cache` (false): the source as it is.
 */
function cachedLive(source: TelemetrySource, cache: string | false | undefined): TelemetrySource {
  if (cache === false) return source;
  const store = new FileHourCacheStore(cache === undefined ? defaultCacheDir() : path.resolve(cache), {
    warn: (m) => process.stderr.write(`lambda-behavior: ${sanitizeForTerminal(m)}\n`),
  });
  return withHourCache(source, { store });
}

export async function runScan(opts: ScanCliOptions, out: (text: string) => void): Promise<number> {
  const live = opts.profile !== undefined || opts.region !== undefined;
  if (Number(!!opts.demo) + Number(!!opts.scenario) + Number(live) !== 1) {
    throw new InputError('give one of --demo, --scenario DIR, or --profile/--region for a live account');
  }
  if (opts.ipRanges !== undefined && !live)
    throw new InputError('--ip-ranges is for a live scan: a scenario brings its own ip-ranges.json');
  if (opts.maxS3Bytes !== undefined && !live)
    throw new InputError('--max-s3-bytes is for a live scan: a scenario holds the S3 objects it recorded');
  if (opts.permissions && opts.format !== 'sarif')
    throw new InputError(
      '--permissions adds the unused grants to the SARIF output: use it with --format sarif (or the permissions command)',
    );
  if (opts.permissions && opts.redact)
    throw new InputError(
      '--permissions and --redact: the unused grants name roles and policies, which are not redacted; use one or the other',
    );
  if (opts.source !== undefined && !opts.permissions)
    throw new InputError('--source locates the unused grants in templates: use it with --permissions');
  if (opts.cache !== undefined && !live)
    throw new InputError(
      `${opts.cache === false ? '--no-cache' : '--cache'} is for a live scan: a scenario is read from its own files, never cached`,
    );
  const flowThreads = { flowThreads: opts.threads !== undefined ? { threads: opts.threads } : {} };
  for (const [given, flag] of [
    [opts.flowLogsAthena, '--flow-logs-athena'],
    [opts.athenaWorkgroup, '--athena-workgroup'],
    [opts.cloudtrailLake, '--cloudtrail-lake'],
    [opts.cloudtrailAthena, '--cloudtrail-athena'],
  ] as const) {
    if (given !== undefined && !live) throw new InputError(`${flag} is for a live scan: a scenario holds the rows it recorded`);
  }
  if (opts.cloudtrailLake && opts.cloudtrailAthena) throw new InputError('give one of --cloudtrail-lake and --cloudtrail-athena');
  if (opts.athenaWorkgroup !== undefined && !opts.flowLogsAthena && !opts.cloudtrailAthena)
    throw new InputError('--athena-workgroup goes with --flow-logs-athena or --cloudtrail-athena');
  // `opened` is the source itself (its clients, its dispose); `source` is what the scan reads: a live one through the cache.
  const opened: TelemetrySource = opts.demo
    ? openScenario(demoScenarioDir(), 'demo account', flowThreads)
    : opts.scenario
      ? openScenario(opts.scenario, undefined, flowThreads)
      : await openLive(opts);
  const source = live ? cachedLive(opened, opts.cache) : opened;
  let now: number | undefined;
  if (opts.now) {
    now = Date.parse(opts.now);
    if (!Number.isFinite(now)) throw new InputError(`--now ${opts.now}: not an ISO-8601 time`);
    if (!(now >= 0 && now < Date.UTC(10000, 0, 1))) throw new InputError(`--now ${opts.now}: must be between 1970 and 9999`);
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('scan cancelled'));
  process.once('SIGINT', onSignal);
  let report: ScanReport;
  let permissions: PermissionsSarifInput | undefined;
  try {
    report = await scan(source, {
      now,
      baselineDays: opts.baselineDays,
      detectHours: opts.detectHours,
      functions: opts.function,
      ignore: { peers: opts.ignorePeer, apiCalls: opts.ignoreApi },
      accepted: readAccepted(opts.acceptFile, opts.acceptFile !== undefined),
      signal: controller.signal,
      logger: { info: () => undefined, warn: (m) => process.stderr.write(`${sanitizeForTerminal(m)}\n`) },
    });
    if (opts.permissions) {
      const dir = opts.demo ? demoScenarioDir() : opts.scenario;
      permissions = await sarifPermissions(report, opened, dir, path.resolve(opts.source ?? '.'), controller.signal);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    // Through the cache: saves the hours fetched (unless cancelled), then disposes of the source it wraps.
    await (source as { dispose?: () => unknown }).dispose?.();
  }
  const missing = opts.function.filter((name) => !report.functions.some((f) => f.name === name));
  if (missing.length) throw new InputError(`function(s) not found in ${source.label}: ${missing.join(', ')}`);
  // Redacted before rendering: every format is rendered from the same redacted report.
  if (opts.redact) report = redactReport(report);

  const rendered =
    opts.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : opts.format === 'sarif'
        ? JSON.stringify(renderSarif(report, VERSION, permissions), null, 2) + '\n'
        : opts.format === 'html'
          ? renderHtml(report)
          : renderText(report, { color: opts.color ?? (!opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR) });
  if (opts.output) await writeOutput(opts.output, rendered);
  else out(rendered);

  if (opts.failOn === 'none') return EXIT_OK;
  const threshold = SEVERITY_RANK[opts.failOn];
  const failing = report.functions.some((f) => f.findings.some((x) => SEVERITY_RANK[x.severity] >= threshold));
  return failing ? EXIT_FINDINGS : EXIT_OK;
}

/**
 * `scan --permissions`: the report's functions judged as `permissions` judges them, each unused grant located on the
 * template line that grants it when source mapping finds the function's template under `root`.
 */
async function sarifPermissions(
  report: ScanReport,
  source: TelemetrySource,
  dir: string | undefined,
  root: string,
  signal: AbortSignal,
): Promise<PermissionsSarifInput> {
  let reads: PermissionsSource;
  let iamClients: { destroy(): void } | undefined;
  if (dir) reads = openRecordedPermissions(dir, source.label);
  else {
    const awsIam = loadAwsIam();
    const clients = awsIam.withIam((source as import('../aws/source').AwsSource).clients);
    iamClients = clients;
    reads = new awsIam.AwsPermissionsSource(clients, source.label);
  }
  try {
    const analysed = await loadPermissions().analyzePermissions(report, reads, {
      lambdaFunctions: await source.listFunctions(signal),
      signal,
    });
    // The descriptor parsers are evaluated only here: a scan without --permissions never loads them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadProject } = require('../source/project') as typeof import('../source/project');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { NodeSourceFiles } = require('../source/node-files') as typeof import('../source/node-files');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { grantLocator } = require('../source/grant-locator') as typeof import('../source/grant-locator');
    const posixRoot = root.split(path.sep).join('/');
    const files = new NodeSourceFiles([posixRoot]);
    const warn = (m: string) => process.stderr.write(`${sanitizeForTerminal(m)}\n`);
    const project = await loadProject(files, { displayRoot: posixRoot, log: { info: () => undefined, warn } });
    const locate = await grantLocator(files, project, report.functions, posixRoot);
    return { report: analysed, locate: (fn, grant) => locate(fn.function, grant.statement) };
  } finally {
    iamClients?.destroy();
  }
}

interface PermissionsCliOptions {
  demo?: boolean;
  scenario?: string;
  profile?: string;
  region?: string;
  function: string[];
  format: 'text' | 'json';
  baselineDays: number;
  detectHours: number;
  now?: string;
  cache?: string | false;
}

/** The policy evaluation and its IAM data (dist/permissions.js, dist/iam-data/) are loaded only for this command. */
function loadPermissions(): typeof import('../permissions/analyze') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../permissions/analyze') as typeof import('../permissions/analyze');
}

/** The live IAM and security-group reads (dist/aws-iam.js), loaded only for a live account. */
function loadAwsIam(): typeof import('../aws/iam') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../aws/iam') as typeof import('../aws/iam');
}

/** `permissions`: scans the account as `scan` does, then judges each function's role and security groups against what it used. */
export async function runPermissions(opts: PermissionsCliOptions, out: (text: string) => void): Promise<number> {
  const live = opts.profile !== undefined || opts.region !== undefined;
  if (Number(!!opts.demo) + Number(!!opts.scenario) + Number(live) !== 1) {
    throw new InputError('give one of --demo, --scenario DIR, or --profile/--region for a live account');
  }
  if (opts.cache !== undefined && !live)
    throw new InputError(
      `${opts.cache === false ? '--no-cache' : '--cache'} is for a live account: a scenario is read from its own files, never cached`,
    );
  const dir = opts.demo ? demoScenarioDir() : opts.scenario;
  const opened: TelemetrySource = dir
    ? openScenario(dir, opts.demo ? 'demo account' : `scenario ${dir}`)
    : await openLive({ ...opts, format: 'text', ignorePeer: [], ignoreApi: [], failOn: 'none' });
  const source = dir ? opened : cachedLive(opened, opts.cache);
  let now: number | undefined;
  if (opts.now) {
    now = Date.parse(opts.now);
    if (!Number.isFinite(now)) throw new InputError(`--now ${opts.now}: not an ISO-8601 time`);
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('cancelled'));
  process.once('SIGINT', onSignal);
  let iamClients: { destroy(): void } | undefined;
  try {
    // Every function is scanned: a shared role is judged on what all of its functions used.
    const report = await scan(source, {
      now,
      baselineDays: opts.baselineDays,
      detectHours: opts.detectHours,
      signal: controller.signal,
      logger: { info: () => undefined, warn: (m) => process.stderr.write(`${sanitizeForTerminal(m)}\n`) },
    });
    const missing = opts.function.filter((name) => !report.functions.some((f) => f.name === name));
    if (missing.length) throw new InputError(`function(s) not found in ${source.label}: ${missing.join(', ')}`);
    let reads: PermissionsSource;
    if (dir) reads = openRecordedPermissions(dir, source.label);
    else {
      const awsIam = loadAwsIam();
      const clients = awsIam.withIam((opened as import('../aws/source').AwsSource).clients);
      iamClients = clients;
      reads = new awsIam.AwsPermissionsSource(clients, source.label);
    }
    const permissions = await loadPermissions().analyzePermissions(report, reads, {
      functions: opts.function,
      lambdaFunctions: await source.listFunctions(controller.signal),
      signal: controller.signal,
    });
    out(opts.format === 'json' ? JSON.stringify(permissions, null, 2) + '\n' : renderPermissionsText(permissions));
    return EXIT_OK;
  } finally {
    process.removeListener('SIGINT', onSignal);
    iamClients?.destroy();
    await (source as { dispose?: () => unknown }).dispose?.();
  }
}

/** A report or the accepted-behaviour file, replaced whole: a reader (CI, an editor) never sees half of it. */
function writeOutput(file: string, text: string): Promise<void> {
  return writeFileAtomic(path.resolve(file), text);
}

interface CacheCliOptions {
  cache?: string;
  clear?: boolean;
  account?: string;
  region?: string;
  format: 'text' | 'json';
}

/** `cache`: the accounts the cache of closed hours holds (account, region, hours, size, file), or `--clear` them. */
export async function runCache(opts: CacheCliOptions, out: (text: string) => void): Promise<number> {
  const store = new FileHourCacheStore(opts.cache === undefined ? defaultCacheDir() : path.resolve(opts.cache));
  const chosen = (await store.list()).filter(
    (s) => (opts.account === undefined || s.accountId === opts.account) && (opts.region === undefined || s.region === opts.region),
  );
  if (opts.clear) {
    for (const s of chosen) await store.clear(s);
    const bytes = chosen.reduce((sum, s) => sum + s.bytes, 0);
    if (opts.format === 'json') out(JSON.stringify({ location: store.location, cleared: chosen }, null, 2) + '\n');
    else
      out(
        chosen.length
          ? `cleared ${chosen.length} cache file(s), ${formatBytes(bytes)}, from ${store.location}\n`
          : `nothing to clear in ${store.location}${opts.account || opts.region ? ' for that account' : ''}\n`,
      );
    return EXIT_OK;
  }
  if (opts.format === 'json') out(JSON.stringify({ location: store.location, accounts: chosen }, null, 2) + '\n');
  else out(cacheListText(store.location, chosen));
  return EXIT_OK;
}

function cacheListText(location: string, accounts: CachedAccountSummary[]): string {
  if (!accounts.length) return `no account cached in ${location}\n`;
  const hour = (t: number | undefined) => (t === undefined ? '-' : formatTime(new Date(t).toISOString()));
  const rows = [
    ['account', 'region', 'hours', 'size', 'from', 'to', 'file'],
    ...accounts.map((s) => [
      s.accountId,
      s.region,
      String(s.hours),
      formatBytes(s.bytes),
      hour(s.oldest),
      hour(s.newest),
      path.basename(s.file),
    ]),
  ].map((row) => row.map((cell) => sanitizeForTerminal(cell)));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
  return `Cache of closed hours in ${sanitizeForTerminal(location)}\n${lines.join('\n')}\n`;
}

/** `--cache DIR` / `--no-cache`, on the commands that scan a live account. */
function cacheOptions(command: Command): Command {
  return command
    .option(
      '--cache <dir>',
      'live: keep the closed hours read from AWS in this directory and fetch only the hours it lacks (default $XDG_CACHE_HOME/lambda-behavior, else ~/.cache/lambda-behavior)',
    )
    .option('--no-cache', 'live: read every hour from AWS again, and keep none');
}

export function buildProgram(out: (text: string) => void, setExit: (code: number) => void): Command {
  const program = new Command('lambda-behavior')
    .description('How your AWS Lambda functions behave — network peers, AWS API calls, invocations — and what changed.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s), writeErr: (s) => process.stderr.write(s) });

  const scanCommand = program
    .command('scan')
    .description('Scan an account (a recorded scenario or the bundled demo) and report what is new or abnormal')
    .option('--demo', 'scan the bundled demo account (no AWS needed)')
    .option('--scenario <dir>', 'scan a recorded scenario directory')
    .option('--profile <name>', 'scan a live account with this AWS profile (~/.aws/config)')
    .option('--region <region>', "the region of the live account (else AWS_REGION or the profile's)")
    .addOption(
      new Option('--flow-logs-query <mode>', 'live: aggregate flow logs in Logs Insights, or stream raw records')
        .choices(['insights', 'filter'])
        .default('insights'),
    )
    .option('--ip-ranges <file|url>', `live: AWS's ip-ranges document from this file or URL (default ${AWS_IP_RANGES_URL}, cached a day)`)
    .option(
      '--max-s3-bytes <size>',
      'live: flow-log objects read from S3 at most, newest first (default 2GiB); past it the oldest are left unread and coverage says so',
      byteSize,
    )
    .option(
      '--threads <n>',
      'threads parsing a large flow-log file of a scenario, or many S3 objects (default: one per core, one fewer for a gzip file or S3 objects; 1: the calling thread only)',
      positiveInt(256),
    )
    .option(
      '--flow-logs-athena <database.table>',
      'live: aggregate flow logs in one Athena query on this table (needs docs/iam-policy-athena.json)',
      athenaTable,
    )
    .option('--athena-workgroup <name>', 'live: the Athena workgroup of --flow-logs-athena and --cloudtrail-athena (default primary)')
    .option(
      '--cloudtrail-lake <eds>',
      'live: ask this CloudTrail Lake event data store (id or ARN) once instead of paging LookupEvents',
      eventDataStore,
    )
    .option(
      '--cloudtrail-athena <database.table>',
      "live: ask this Athena table over the trail's bucket once instead of paging LookupEvents",
      athenaTable,
    )
    .option('--function <name>', 'only this function (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option(
      '--ignore-peer <rule>',
      'leave out a peer: an address, a CIDR, address:port/protocol or an AWS service (aws:S3:*) (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option(
      '--ignore-api <rule>',
      'leave out API calls: eventSource:eventName, * as a wildcard (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif', 'html']).default('text'))
    .option('--baseline-days <n>', 'days of baseline before the detection window', positiveInt(MAX_BASELINE_DAYS), DEFAULT_BASELINE_DAYS)
    .option('--detect-hours <n>', 'hours in the detection window', positiveInt(MAX_DETECT_HOURS), DEFAULT_DETECT_HOURS)
    .option('--now <iso>', 'end of the detection window (default: the recording time, or now)')
    .option('--accept-file <file>', `accepted behaviour (default ${DEFAULT_ACCEPT_FILE} when it exists)`)
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity (none: never)')
        .choices(['low', 'medium', 'high', 'none'])
        .default('high'),
    )
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--no-color', 'no ANSI colours in text output')
    .option(
      '--permissions',
      "SARIF: also a result per permission the functions' roles grant and their code never used (reads the roles' policies)",
    )
    .option(
      '--source <dir>',
      'with --permissions: where the templates are, to put each unused grant on the line that grants it (default: the working directory)',
    )
    .option('--redact', 'replace account ids, public addresses and tag values consistently (for sharing a report)');
  cacheOptions(scanCommand).action(async (opts: ScanCliOptions & { color: boolean }, cmd: Command) => {
    // Commander sets color=true by default for --no-color; only an explicit flag should force it.
    const explicitColor = cmd.getOptionValueSource('color') === 'cli' ? false : undefined;
    setExit(await runScan({ ...opts, color: explicitColor }, out));
  });

  program
    .command('record')
    .description('Record a live account as a scenario directory that `scan --scenario DIR` replays offline')
    .option('--profile <name>', 'the AWS profile (~/.aws/config)')
    .option('--region <region>', "the region (else AWS_REGION or the profile's)")
    .option(
      '--function <name>',
      'only this function and those sharing its ENIs (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .requiredOption('--out <dir>', 'the scenario directory to write')
    .option('--baseline-days <n>', 'days of baseline to record', positiveInt(MAX_BASELINE_DAYS), DEFAULT_BASELINE_DAYS)
    .option('--detect-hours <n>', 'hours of detection window to record', positiveInt(MAX_DETECT_HOURS), DEFAULT_DETECT_HOURS)
    .option('--redact', 'replace account ids and public addresses consistently (for sharing a bug report)')
    .option(
      '--ip-ranges <file|url>',
      `AWS's ip-ranges document to record from this file or URL (default ${AWS_IP_RANGES_URL}, cached a day)`,
    )
    .option('--flow-logs-athena <database.table>', "also record the flow logs' Athena aggregate rows (athena/flow-rows.json)", athenaTable)
    .option('--athena-workgroup <name>', 'the Athena workgroup of --flow-logs-athena and --cloudtrail-athena (default primary)')
    .option(
      '--cloudtrail-lake <eds>',
      "also record the trail's aggregate rows from this CloudTrail Lake event data store (cloudtrail-lake/rows.json)",
      eventDataStore,
    )
    .option(
      '--cloudtrail-athena <database.table>',
      "also record the trail's aggregate rows from this Athena table (cloudtrail-lake/rows.json)",
      athenaTable,
    )
    .action(
      async (opts: {
        profile?: string;
        region?: string;
        function: string[];
        out: string;
        baselineDays: number;
        detectHours: number;
        redact?: boolean;
        ipRanges?: string;
        flowLogsAthena?: AthenaTableName;
        athenaWorkgroup?: string;
        cloudtrailLake?: string;
        cloudtrailAthena?: AthenaTableName;
      }) => {
        if (opts.cloudtrailLake && opts.cloudtrailAthena) throw new InputError('give one of --cloudtrail-lake and --cloudtrail-athena');
        const workgroup = opts.athenaWorkgroup ? { workgroup: opts.athenaWorkgroup } : {};
        if (fs.existsSync(opts.out) && fs.readdirSync(opts.out).length > 0)
          throw new InputError(`${opts.out}: not empty; record into a new directory`);
        const aws = loadAws();
        await checkProfile(aws, opts.profile);
        const clients = aws.createClients({ profile: opts.profile, region: opts.region });
        const controller = new AbortController();
        const onSignal = () => controller.abort(new Error('recording cancelled'));
        process.once('SIGINT', onSignal);
        try {
          const summary = await aws.recordScenario(
            clients,
            {
              out: opts.out,
              functions: opts.function,
              baselineDays: opts.baselineDays,
              detectHours: opts.detectHours,
              redact: opts.redact,
              ipRanges: ipRangesOptions(opts.ipRanges),
              ...(opts.flowLogsAthena ? { flowLogsAthena: { ...opts.flowLogsAthena, ...workgroup } } : {}),
              ...(opts.cloudtrailLake ? { cloudTrailLake: opts.cloudtrailLake } : {}),
              ...(opts.cloudtrailAthena ? { cloudTrailAthena: { ...opts.cloudtrailAthena, ...workgroup } } : {}),
              onProgress: (m) => process.stderr.write(`${m}...\n`),
            },
            controller.signal,
          );
          out(
            `recorded ${summary.functions} function(s), ${summary.enis} Lambda ENI(s), ${summary.flowRecords} flow record(s), ${summary.events} CloudTrail event(s) into ${summary.dir}\n`,
          );
          for (const [what, why] of Object.entries(summary.failures)) out(`not recorded: ${what}: ${why}\n`);
          for (const notice of summary.notices) out(`${sanitizeForTerminal(notice)}\n`);
        } finally {
          process.removeListener('SIGINT', onSignal);
          clients.destroy();
        }
      },
    );

  const permissionsCommand = program
    .command('permissions')
    .description(
      'Per function: the IAM actions it used and which statement grants each, grants never used, denied calls, and a least-privilege policy and egress rules to review',
    )
    .option('--demo', 'the bundled demo account (no AWS needed)')
    .option('--scenario <dir>', 'a recorded scenario directory (with its optional iam/ and ec2/describe-security-groups.json files)')
    .option('--profile <name>', 'a live account with this AWS profile (~/.aws/config)')
    .option('--region <region>', "the region of the live account (else AWS_REGION or the profile's)")
    .option(
      '--function <name>',
      'only this function (repeatable); its role is still judged on every function using it',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--baseline-days <n>', 'days of baseline before the detection window', positiveInt(MAX_BASELINE_DAYS), DEFAULT_BASELINE_DAYS)
    .option('--detect-hours <n>', 'hours in the detection window', positiveInt(MAX_DETECT_HOURS), DEFAULT_DETECT_HOURS)
    .option('--now <iso>', 'end of the detection window (default: the recording time, or now)');
  cacheOptions(permissionsCommand).action(async (opts: PermissionsCliOptions) => {
    setExit(await runPermissions(opts, out));
  });

  program
    .command('cache')
    .description(
      'The cache of closed hours that live scans keep, one file per account and region: list what it holds (account, region, hours, size, file), or clear it',
    )
    .option('--cache <dir>', 'the cache directory (default $XDG_CACHE_HOME/lambda-behavior, else ~/.cache/lambda-behavior)')
    .option('--clear', 'remove the cached hours: every account, or those of --account and --region; the next live scan reads them again')
    .option('--account <id>', 'only this account')
    .option('--region <region>', 'only this region')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: CacheCliOptions) => {
      setExit(await runCache(opts, out));
    });

  program
    .command('accept')
    .description('Mark a finding as normal behaviour so it is not reported again')
    .requiredOption('--function <name>', 'the function (or * for all)')
    .addOption(
      new Option('--kind <kind>', 'the finding kind')
        .choices([
          'new-peer',
          'rejected-traffic',
          'traffic-spike',
          'new-api-call',
          'access-denied',
          'invocation-spike',
          'error-spike',
          'throttle-spike',
        ])
        .makeOptionMandatory(),
    )
    .requiredOption('--subject <subject>', 'the finding subject, e.g. 10.0.1.37:22/tcp or s3.amazonaws.com:ListBuckets')
    .option('--accept-file <file>', 'the accepted-behaviour file', DEFAULT_ACCEPT_FILE)
    .option('--note <text>', 'why this is normal')
    .action(async (opts: { function: string; kind: FindingKind; subject: string; acceptFile: string; note?: string }) => {
      const current = readAccepted(opts.acceptFile, false) ?? emptyAccepted();
      const next = accept(current, opts.function, { kind: opts.kind, subject: opts.subject }, new Date().toISOString(), opts.note);
      await writeOutput(opts.acceptFile, JSON.stringify(next, null, 2) + '\n');
      out(`accepted ${opts.kind} ${opts.subject} for ${opts.function} in ${opts.acceptFile}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(
    (s) => process.stdout.write(s),
    (c) => (code = c),
  );
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    // Messages quote the input (a file's first bytes, an AWS error): no terminal control sequences from it.
    if (err instanceof InputError || err instanceof RangeError || SourceError.is(err)) {
      process.stderr.write(`lambda-behavior: ${sanitizeForTerminal(err.message)}\n`);
      return EXIT_BAD_INPUT;
    }
    process.stderr.write(`lambda-behavior: ${sanitizeForTerminal(errorStack(err), { allowNewline: true })}\n`);
    return EXIT_BAD_INPUT;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
