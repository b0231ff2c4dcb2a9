// The cache of closed hours, measured: live scans against moto_server, first with an empty cache then a moment later with it, for flow logs in CloudWatch Logs and in S3; prints JSON.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withHourCache } from '../src/core/cache/cached-source';
import type { FlowLogConfig, ScanReads } from '../src/core/model';
import type { TelemetrySource } from '../src/core/ports';
import { scan } from '../src/core/scan';
import { createClients } from '../src/aws/clients';
import { AwsSource } from '../src/aws/source';
import { FileHourCacheStore } from '../src/node/hour-cache-file';
import { buildMotoAccount, type MotoAccount } from '../test/support/moto-account';
import { startMoto, testCredentials } from '../test/support/moto';

const REGION = 'us-east-1';
/** The most history moto keeps log events for (14 days, less a margin). */
const DAYS = 13;
const RUNS = Number(process.env.BENCH_RUNS || 3);

interface ScanFigures {
  wallMs: number;
  /** Flow-log bytes read: downloaded (FilterLogEvents pages, S3 objects) plus scanned (queries). */
  flowBytes: number;
  requests: number;
  byAction: Record<string, number>;
  hoursFromCache: number;
  hoursFetched: number;
  findings: number;
}

/** The source with the VPC's flow logs of one destination only (moto keeps no DestinationOptions: the default layout). */
function only(inner: AwsSource, destinationType: string): TelemetrySource {
  const described = async (signal: AbortSignal): Promise<FlowLogConfig[]> =>
    (await inner.describeFlowLogs(signal)).filter((f) => f.destinationType === destinationType);
  return Object.assign(Object.create(inner) as AwsSource, { describeFlowLogs: described });
}

/** One live scan as the CLI runs it: a fresh AwsSource, through the file cache in `dir` (or none), with a signal. */
async function scanOnce(
  endpoint: string,
  account: MotoAccount,
  destinationType: string,
  ipRanges: string,
  dir?: string,
): Promise<ScanFigures> {
  const clients = createClients({ region: REGION, credentials: testCredentials, endpoint, maxAttempts: 1 });
  const live = new AwsSource(clients, { flowLogsQuery: 'filter', ipRanges: { location: ipRanges } });
  const source = dir ? withHourCache(only(live, destinationType), { store: new FileHourCacheStore(dir) }) : only(live, destinationType);
  const t0 = process.hrtime.bigint();
  const report = await scan(source, { now: account.now.getTime(), baselineDays: DAYS - 1, signal: new AbortController().signal });
  if (dir) await (source as ReturnType<typeof withHourCache>).dispose();
  else live.dispose();
  const wallMs = Math.round(Number(process.hrtime.bigint() - t0) / 1e6);
  const reads: ScanReads = report.reads ?? { requests: {}, bytesScanned: 0, bytesDownloaded: 0, estimates: [] };
  return {
    wallMs,
    flowBytes: reads.bytesDownloaded + reads.bytesScanned,
    requests: Object.values(reads.requests).reduce((a, b) => a + b, 0),
    byAction: reads.requests,
    hoursFromCache: reads.cache?.hoursFromCache ?? 0,
    hoursFetched: reads.cache?.hoursFetched ?? 0,
    findings: report.functions.reduce((n, f) => n + f.findings.length, 0),
  };
}

/** RUNS times: an empty cache, a first scan, a second; best wall time of each, the other figures of that run (they do not vary). */
async function measure(endpoint: string, account: MotoAccount, destinationType: string, ipRanges: string, temp: string) {
  const firsts: ScanFigures[] = [];
  const seconds: ScanFigures[] = [];
  const uncached: ScanFigures[] = [];
  let cacheBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const dir = fs.mkdtempSync(path.join(temp, `${destinationType}-`));
    firsts.push(await scanOnce(endpoint, account, destinationType, ipRanges, dir));
    seconds.push(await scanOnce(endpoint, account, destinationType, ipRanges, dir));
    uncached.push(await scanOnce(endpoint, account, destinationType, ipRanges));
    cacheBytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  }
  const best = (runs: ScanFigures[]) => runs.sort((a, b) => a.wallMs - b.wallMs)[0];
  return { first: best(firsts), second: best(seconds), noCache: best(uncached), cacheBytes };
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-bench-cache-'));
  try {
    const built = process.hrtime.bigint();
    const account = await buildMotoAccount(moto.endpoint, REGION, { days: DAYS, s3: { bucket: 'bench-flow-logs' } });
    const buildSeconds = Number(process.hrtime.bigint() - built) / 1e9;
    const ipRanges = path.join(temp, 'ip-ranges.json');
    fs.writeFileSync(
      ipRanges,
      JSON.stringify({
        syncToken: '1',
        createDate: '2026-01-01-00-00-00',
        prefixes: [{ ip_prefix: '3.5.140.0/22', region: 'ap-northeast-2', service: 'AMAZON' }],
      }),
    );
    const cloudWatch = await measure(moto.endpoint, account, 'cloud-watch-logs', ipRanges, temp);
    const s3 = await measure(moto.endpoint, account, 's3', ipRanges, temp);
    process.stdout.write(
      JSON.stringify({
        days: DAYS,
        runs: RUNS,
        buildSeconds: Math.round(buildSeconds * 10) / 10,
        functions: account.functions.length,
        lambdaEnis: account.enis.lambda.length,
        flowRecords: account.flowRecords.total,
        cloudWatch,
        s3,
        loadAverage: Math.round(os.loadavg()[0] * 10) / 10,
      }) + '\n',
    );
  } finally {
    await moto.stop();
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
