// The replay backend: a recorded scenario directory (format v1) served through the engine's ports.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  flowLogFromAws,
  functionFromAws,
  metricSeriesFromAws,
  networkInterfaceFromAws,
  ShapeError,
  trailEventFromAws,
} from '../core/aws-shapes';
import type { FlowLogConfig, LambdaFunction, MetricSeries, NetworkInterface, TrailEvent } from '../core/model';
import {
  InputError,
  SourceError,
  type AccountInfo,
  type FlowData,
  type FlowReadRequest,
  type IpRangesDocument,
  type MetricsRequest,
  type TelemetrySource,
  type TrailRequest,
} from '../core/ports';

/** JSON files larger than this are refused with a clear message rather than exhausting memory. */
const MAX_JSON_BYTES = 1024 * 1024 * 1024;
/** Node's default 16 KiB inflate chunks throttle gzip input threefold (see the performance notes). */
const READ_CHUNK_BYTES = 1024 * 1024;

interface ScenarioData {
  account: AccountInfo;
  functions: LambdaFunction[];
  enis: NetworkInterface[];
  flowLogs: FlowLogConfig[];
  events: TrailEvent[];
  metrics: MetricSeries[];
  ipRanges?: IpRangesDocument;
  flowLogFiles: Map<string, string>;
  /** Sources that failed when the account was recorded (optional `failures` in scenario.json): they fail again here. */
  failures: Record<string, string>;
}

/** Reads and checks every JSON file of a scenario up front, so a bad file fails the scan before it starts. */
export function openScenario(dir: string, label = `scenario ${dir}`): TelemetrySource {
  const data = loadScenario(dir);
  return new ScenarioSource(label, data);
}

function loadScenario(dir: string): ScenarioData {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new InputError(`${dir}: not a scenario directory (it does not exist or is not a directory)`);
  const file = (rel: string) => path.join(dir, rel);
  const scenario = readJson(file('scenario.json'));
  if (scenario.formatVersion !== 1) throw new InputError(`${file('scenario.json')}: formatVersion must be 1 (found ${JSON.stringify(scenario.formatVersion)})`);
  for (const key of ['accountId', 'region'] as const) {
    if (typeof scenario[key] !== 'string') throw new InputError(`${file('scenario.json')}: "${key}" must be a string`);
  }
  const recordedAt = typeof scenario.recordedAt === 'string' ? Date.parse(scenario.recordedAt) : NaN;
  if (scenario.recordedAt !== undefined && !Number.isFinite(recordedAt)) throw new InputError(`${file('scenario.json')}: "recordedAt" is not an ISO-8601 time`);

  const tagsPath = file('lambda/tags.json');
  const tags = fs.existsSync(tagsPath) ? readJson(tagsPath) : {};
  const functions = mapList(file('lambda/list-functions.json'), 'Functions', (f) => {
    const arn = (f as { FunctionArn?: string }).FunctionArn ?? '';
    const t = tags[arn];
    return functionFromAws(f, t && typeof t === 'object' ? (t as Record<string, string>) : {});
  });
  const enis = mapList(file('ec2/describe-network-interfaces.json'), 'NetworkInterfaces', networkInterfaceFromAws);
  const flowLogs = mapList(file('ec2/describe-flow-logs.json'), 'FlowLogs', flowLogFromAws);
  const events = mapList(file('cloudtrail/lookup-events.json'), 'Events', trailEventFromAws);

  const metricsPath = file('cloudwatch/get-metric-data.json');
  const metricsJson = readJson(metricsPath);
  if (!Array.isArray(metricsJson.MetricDataQueries) || !Array.isArray(metricsJson.MetricDataResults)) {
    throw new InputError(`${metricsPath}: expected "MetricDataQueries" and "MetricDataResults" arrays`);
  }
  const metrics = metricSeriesFromAws(metricsJson.MetricDataQueries, metricsJson.MetricDataResults);

  const ipRangesPath = file('ip-ranges.json');
  let ipRanges: IpRangesDocument | undefined;
  if (fs.existsSync(ipRangesPath)) {
    const doc = readJson(ipRangesPath);
    if (!Array.isArray(doc.prefixes)) throw new InputError(`${ipRangesPath}: expected a "prefixes" array (AWS's ip-ranges document)`);
    ipRanges = doc as unknown as IpRangesDocument;
  }

  const flowLogFiles = new Map<string, string>();
  const flowDir = file('flowlogs');
  if (fs.existsSync(flowDir)) {
    for (const name of fs.readdirSync(flowDir)) {
      const m = /^(.+?)\.log(\.gz)?$/.exec(name);
      if (m) flowLogFiles.set(m[1], path.join(flowDir, name));
    }
  }
  const failures = scenario.failures && typeof scenario.failures === 'object' ? (scenario.failures as Record<string, string>) : {};
  return {
    failures,
    account: { accountId: scenario.accountId as string, region: scenario.region as string, recordedAt: Number.isFinite(recordedAt) ? recordedAt : undefined },
    functions,
    enis,
    flowLogs,
    events,
    metrics,
    ipRanges,
    flowLogFiles,
  };
}

function readJson(file: string): Record<string, unknown> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new InputError(`${file}: missing (a scenario needs it; see the scenario format)`);
  }
  if (size > MAX_JSON_BYTES) throw new InputError(`${file}: ${size} bytes is larger than the ${MAX_JSON_BYTES}-byte limit for a JSON file`);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${file}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function mapList<T>(file: string, key: string, map: (item: unknown) => T): T[] {
  const json = readJson(file);
  const list = json[key];
  if (!Array.isArray(list)) throw new InputError(`${file}: expected a "${key}" array`);
  return list.map((item, i) => {
    try {
      return map(item);
    } catch (err) {
      if (err instanceof ShapeError) throw new InputError(`${file}: ${key}[${i}]: ${err.message}`);
      throw err;
    }
  });
}

/**
 * A plain file in 1 MiB chunks, the next one read (on the thread pool) while the caller parses the current
 * one. Two buffers take turns, so a chunk is valid only until the caller asks for the next.
 */
async function* readAhead(file: string, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(READ_CHUNK_BYTES), Buffer.allocUnsafe(READ_CHUNK_BYTES)];
    let turn = 0;
    let pending = handle.read(buffers[turn], 0, READ_CHUNK_BYTES, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const current = buffers[turn];
      turn ^= 1;
      pending = handle.read(buffers[turn], 0, READ_CHUNK_BYTES, null);
      signal.throwIfAborted();
      yield current.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

class ScenarioSource implements TelemetrySource {
  constructor(
    readonly label: string,
    private readonly data: ScenarioData,
  ) {}

  async account(): Promise<AccountInfo> {
    return this.data.account;
  }

  async listFunctions(): Promise<LambdaFunction[]> {
    return this.data.functions;
  }

  async listNetworkInterfaces(): Promise<NetworkInterface[]> {
    return this.data.enis;
  }

  async describeFlowLogs(): Promise<FlowLogConfig[]> {
    return this.data.flowLogs;
  }

  async *readFlowLog(flowLog: FlowLogConfig, _request: FlowReadRequest, signal: AbortSignal): AsyncIterable<FlowData> {
    this.failIfRecordedSo(`flow log ${flowLog.id}`);
    const file = this.data.flowLogFiles.get(flowLog.id);
    if (!file) return;
    if (!file.endsWith('.gz')) {
      yield { kind: 'raw', source: file, chunks: readAhead(file, signal) };
      return;
    }
    // zlib inflates on libuv's thread pool: decompression overlaps parsing on the main thread.
    const input = fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES, signal });
    const chunks = input.pipe(zlib.createGunzip({ chunkSize: READ_CHUNK_BYTES }));
    input.on('error', (err) => chunks.destroy(err));
    yield { kind: 'raw', source: file, chunks };
  }

  async *lookupEvents(request: TrailRequest): AsyncIterable<TrailEvent[]> {
    this.failIfRecordedSo('cloudtrail:LookupEvents');
    yield this.data.events.filter((e) => e.eventTime >= request.start && e.eventTime < request.end);
  }

  async getMetrics(request: MetricsRequest): Promise<MetricSeries[]> {
    this.failIfRecordedSo('cloudwatch:GetMetricData');
    const wanted = new Set(request.functionNames);
    return this.data.metrics
      .filter((s) => wanted.has(s.functionName))
      .map((s) => ({ ...s, points: s.points.filter((p) => p.t >= request.start && p.t < request.end) }));
  }

  async ipRanges(): Promise<IpRangesDocument | undefined> {
    return this.data.ipRanges;
  }

  private failIfRecordedSo(what: string): void {
    const message = this.data.failures[what];
    if (message !== undefined) throw new SourceError('other', `not recorded: ${message}`);
  }
}
