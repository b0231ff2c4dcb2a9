// The replay backend: a recorded scenario directory (format v1) served through the engine's ports.
import * as buffer from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  flowLogFromAws,
  functionFromAws,
  metricSeriesFromAws,
  networkInterfaceFromAws,
  ShapeError,
  trailEventFromAws,
} from '../core/aws-shapes';
import type { FlowAggregate, FlowLogConfig, LambdaFunction, MetricSeries, NetworkInterface, TrailEvent } from '../core/model';
import { parseS3FlowLogKey, takeHeaderLine } from '../core/flowlog/s3-objects';
import { flowRowsToAggregates, formatBytes, trailRowsFromAnswer } from '../core/query-rows';
import { SOURCE_CALLS } from '../core/scan/attempts';
import { MANAGEMENT_EVENT_NAMES, managementEventFromAws } from '../core/trail/management';
import {
  InputError,
  SourceError,
  type AccountInfo,
  type FlowData,
  type FlowReadRequest,
  type IpRangesDocument,
  type ManagementEventsRequest,
  type MetricsRequest,
  type TelemetrySource,
  type TrailCalls,
  type TrailRequest,
} from '../core/ports';
import {
  inflatedInThread,
  parseFlowFileInThreads,
  parseFlowObjectsInThreads,
  usesFlowThreads,
  usesInflatingThread,
  usesObjectThreads,
  type FlowObject,
  type FlowThreadOptions,
} from '../node/flow-workers';
import { CHUNK_BYTES as READ_CHUNK_BYTES, gunzipFile, openedAhead, openGzipObject } from '../node/gzip-object';

/**
 * JSON files larger than this are refused with a clear message rather than exhausting memory: 1 GiB, or less where
 * V8 cannot hold the file as one string (512 MiB on 64-bit Node), which would fail later with a less clear message.
 */
export const MAX_JSON_BYTES = Math.min(1024 * 1024 * 1024, buffer.constants.MAX_STRING_LENGTH);
/** Recorded S3 objects read and inflated ahead of the one being parsed. */
const OBJECTS_AHEAD = 4;

export interface ScenarioData {
  account: AccountInfo;
  functions: LambdaFunction[];
  enis: NetworkInterface[];
  flowLogs: FlowLogConfig[];
  events: TrailEvent[];
  metrics: MetricSeries[];
  ipRanges?: IpRangesDocument;
  flowLogFiles: Map<string, string>;
  /** Objects of flow logs delivered to S3 (optional `flowlogs-s3/<key>`), by flow log id, newest first. */
  s3Objects: Map<string, Array<{ file: string; time: number; bytes: number }>>;
  /** Sources that failed when the account was recorded (optional `failures` in scenario.json): they fail again here. */
  failures: Record<string, string>;
  /** The flow logs' Athena aggregate rows as recorded (optional `athena/flow-rows.json`): read instead of the records. */
  athenaFlows?: { table: string; dataScannedBytes: number; rows: FlowAggregate[] };
  /** The trail's aggregate rows from Lake or Athena as recorded (optional `cloudtrail-lake/rows.json`): read instead of the events. */
  trailCalls?: TrailCalls;
}

/** Reads and checks every JSON file of a scenario up front, so a bad file fails the scan before it starts. */
export function openScenario(dir: string, label = `scenario ${dir}`, options: ScenarioOptions = {}): TelemetrySource {
  const data = loadScenario(dir);
  return new ScenarioSource(label, data, options.flowThreads ?? {});
}

export interface ScenarioOptions {
  /** How a large flow-log file is parsed on several threads (default: one per core). */
  flowThreads?: FlowThreadOptions;
}

/** The parts a scenario is read in, in the order a bad file is reported (the first part that fails says why). */
const SCENARIO_PARTS = ['inventory', 'events', 'metrics', 'rest'] as const;
type ScenarioPart = (typeof SCENARIO_PARTS)[number];

function loadScenario(dir: string): ScenarioData {
  return Object.assign({}, ...SCENARIO_PARTS.map((part) => loadScenarioPart(dir, part))) as ScenarioData;
}

/** One part of a scenario, read and checked. */
function loadScenarioPart(dir: string, part: ScenarioPart): Partial<ScenarioData> {
  const file = (rel: string) => path.join(dir, rel);
  switch (part) {
    case 'inventory':
      return loadInventory(dir, file);
    case 'events': {
      // The management events the engine reads by name keep their caller, request and response: ENI lifetimes, function changes.
      const management = new Set(MANAGEMENT_EVENT_NAMES);
      const events = mapList(file('cloudtrail/lookup-events.json'), 'Events', (e) => {
        const name = (e as { EventName?: unknown } | null)?.EventName;
        return typeof name === 'string' && management.has(name) ? managementEventFromAws(e) : trailEventFromAws(e);
      });
      return { events };
    }
    case 'metrics': {
      const metricsPath = file('cloudwatch/get-metric-data.json');
      const metricsJson = readJson(metricsPath);
      if (!Array.isArray(metricsJson.MetricDataQueries) || !Array.isArray(metricsJson.MetricDataResults)) {
        throw new InputError(`${metricsPath}: expected "MetricDataQueries" and "MetricDataResults" arrays`);
      }
      const metrics = mapped(metricsPath, () =>
        metricSeriesFromAws(metricsJson.MetricDataQueries as unknown[], metricsJson.MetricDataResults as unknown[]),
      );
      return { metrics };
    }
    case 'rest':
      return loadRest(file);
  }
}

function loadInventory(dir: string, file: (rel: string) => string): Partial<ScenarioData> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new InputError(`${dir}: not a scenario directory (it does not exist or is not a directory)`);
  const scenario = readJson(file('scenario.json'));
  if (scenario.formatVersion !== 1)
    throw new InputError(`${file('scenario.json')}: formatVersion must be 1 (found ${describeValue(scenario.formatVersion)})`);
  for (const key of ['accountId', 'region'] as const) {
    if (typeof scenario[key] !== 'string') throw new InputError(`${file('scenario.json')}: "${key}" must be a string`);
  }
  const recordedAt = typeof scenario.recordedAt === 'string' ? Date.parse(scenario.recordedAt) : NaN;
  if (scenario.recordedAt !== undefined && !Number.isFinite(recordedAt))
    throw new InputError(`${file('scenario.json')}: "recordedAt" is not an ISO-8601 time`);
  // The scan's windows reach up to 90 days before it: a time at the edge of what a Date holds would not survive that.
  if (Number.isFinite(recordedAt) && !(recordedAt >= 0 && recordedAt < MAX_RECORDED_AT))
    throw new InputError(`${file('scenario.json')}: "recordedAt" must be between 1970 and 9999`);

  const tagsPath = file('lambda/tags.json');
  const tags = fs.existsSync(tagsPath) ? readJson(tagsPath) : {};
  const functions = mapList(file('lambda/list-functions.json'), 'Functions', (f) => {
    const arn = (f as { FunctionArn?: unknown }).FunctionArn;
    // Own keys only: an ARN such as "__proto__" or "constructor" must not find Object.prototype's members.
    return functionFromAws(f, typeof arn === 'string' && Object.hasOwn(tags, arn) ? tagStrings(tags[arn]) : {});
  });
  const enis = mapList(file('ec2/describe-network-interfaces.json'), 'NetworkInterfaces', (e) => {
    const eni = networkInterfaceFromAws(e);
    if (eni.since !== undefined && !isDateTime(eni.since))
      throw new ShapeError(`network interface ${eni.id} has an Attachment.AttachTime outside the range of dates`);
    return eni;
  });
  const flowLogs = mapList(file('ec2/describe-flow-logs.json'), 'FlowLogs', flowLogFromAws);
  return {
    account: {
      accountId: scenario.accountId as string,
      region: scenario.region as string,
      recordedAt: Number.isFinite(recordedAt) ? recordedAt : undefined,
    },
    functions,
    enis,
    flowLogs,
  };
}

function loadRest(file: (rel: string) => string): Partial<ScenarioData> {
  const ipRangesPath = file('ip-ranges.json');
  let ipRanges: IpRangesDocument | undefined;
  if (fs.existsSync(ipRangesPath)) {
    const doc = readJson(ipRangesPath);
    if (!Array.isArray(doc.prefixes)) throw new InputError(`${ipRangesPath}: expected a "prefixes" array (AWS's ip-ranges document)`);
    if (doc.ipv6_prefixes !== undefined && !Array.isArray(doc.ipv6_prefixes))
      throw new InputError(`${ipRangesPath}: "ipv6_prefixes" must be an array`);
    ipRanges = { prefixes: prefixList(doc.prefixes, 'ip_prefix'), ipv6_prefixes: prefixList(doc.ipv6_prefixes ?? [], 'ipv6_prefix') };
  }

  const flowLogFiles = new Map<string, string>();
  const flowDir = file('flowlogs');
  if (fs.statSync(flowDir, { throwIfNoEntry: false })?.isDirectory()) {
    for (const name of fs.readdirSync(flowDir)) {
      const m = /^(.+?)\.log(\.gz)?$/.exec(name);
      // Only regular files (or links to them): a FIFO would block the scan forever.
      if (m && fs.statSync(path.join(flowDir, name), { throwIfNoEntry: false })?.isFile()) flowLogFiles.set(m[1], path.join(flowDir, name));
    }
  }
  const failures = recordedFailures(readJson(file('scenario.json')).failures, file('scenario.json'));
  return {
    ...loadQueryAnswers(file),
    s3Objects: loadS3Objects(file('flowlogs-s3')),
    failures,
    ipRanges,
    flowLogFiles,
  };
}

/** `flowlogs-s3/<key>`: every gzip text object whose name is a flow log's (AWS's naming), found at any depth. */
function loadS3Objects(root: string): ScenarioData['s3Objects'] {
  const out: ScenarioData['s3Objects'] = new Map();
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) return out;
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const key = parseS3FlowLogKey(entry.name);
    if (!key || key.fileFormat !== 'plain-text') continue;
    const file = path.join(entry.parentPath, entry.name);
    const list = out.get(key.flowLogId) ?? [];
    list.push({ file, time: key.time, bytes: fs.statSync(file).size });
    out.set(key.flowLogId, list);
  }
  for (const list of out.values()) list.sort((a, b) => b.time - a.time || (a.file < b.file ? -1 : 1));
  return out;
}

/** A short description of a JSON value for a message: scalars as JSON, cut short; arrays and objects by kind. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value && typeof value === 'object') return 'an object';
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** The first instant of the year 10000. */
const MAX_RECORDED_AT = Date.UTC(10000, 0, 1);

/** Epoch milliseconds a Date can hold (±100,000,000 days): anything else would throw when written as ISO time. */
function isDateTime(t: number): boolean {
  return Math.abs(t) <= 8.64e15;
}

/** A function's tags as the engine expects them: string values only (a recording holds nothing else), as own keys. */
function tagStrings(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    // defineProperty: a tag key "__proto__" stays a key instead of replacing the object's prototype.
    if (typeof v === 'string') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The entries of an ip-ranges list whose prefix, service and region are strings (AWS publishes nothing else). */
function prefixList<K extends 'ip_prefix' | 'ipv6_prefix'>(list: unknown[], key: K): Array<Record<K | 'region' | 'service', string>> {
  const out: Array<Record<K | 'region' | 'service', string>> = [];
  for (const p of list) {
    const o = p as Record<string, unknown> | null;
    if (o && typeof o === 'object' && typeof o[key] === 'string' && typeof o.service === 'string' && typeof o.region === 'string') {
      out.push({ [key]: o[key], service: o.service, region: o.region } as Record<K | 'region' | 'service', string>);
    }
  }
  return out;
}

/** `failures` of scenario.json: which source failed when recording, and the message (both strings). */
function recordedFailures(value: unknown, file: string): Record<string, string> {
  if (value === undefined || value === null) return Object.create(null) as Record<string, string>;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${file}: "failures" must be an object of source → message`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new InputError(`${file}: "failures" → ${JSON.stringify(k.slice(0, 80))} must be a message string`);
    out[k] = v;
  }
  return out;
}

function readJson(file: string): Record<string, unknown> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new InputError(`${file}: missing (a scenario needs it; see the scenario format)`);
  }
  // A directory, a FIFO or a device: reading one fails or blocks forever.
  if (!stat.isFile()) throw new InputError(`${file}: not a regular file`);
  const size = stat.size;
  if (size > MAX_JSON_BYTES) throw new InputError(`${file}: ${size} bytes is larger than the ${MAX_JSON_BYTES}-byte limit for a JSON file`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot be read (${(err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
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
  return list.map((item, i) => mapped(`${file}: ${key}[${i}]`, () => map(item)));
}

/**
 * Runs a shape mapping; what it throws becomes an InputError naming `where`. Besides ShapeError, a value of a wrong
 * type deep inside (an object whose toString is not a function, where a number belongs) throws a TypeError.
 */
function mapped<T>(where: string, map: () => T): T {
  try {
    return map();
  } catch (err) {
    if (err instanceof ShapeError) throw new InputError(`${where}: ${err.message}`);
    if (err instanceof TypeError || err instanceof RangeError) throw new InputError(`${where}: a value of the wrong type (${err.message})`);
    throw err;
  }
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

/** The optional answers of Athena and CloudTrail Lake, recorded as returned (rows of text by column name). */
function loadQueryAnswers(file: (rel: string) => string): Pick<ScenarioData, 'athenaFlows' | 'trailCalls'> {
  const out: Pick<ScenarioData, 'athenaFlows' | 'trailCalls'> = {};
  const rowsOf = (p: string, json: Record<string, unknown>): Array<Record<string, string>> => {
    if (!Array.isArray(json.rows) || !json.rows.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r)))
      throw new InputError(`${p}: expected a "rows" array of objects`);
    return json.rows as Array<Record<string, string>>;
  };
  const flowsPath = file(path.join('athena', 'flow-rows.json'));
  if (fs.existsSync(flowsPath)) {
    const json = readJson(flowsPath);
    out.athenaFlows = {
      table: String(json.table ?? "the flow logs' table"),
      dataScannedBytes: Number(json.dataScannedBytes) || 0,
      rows: flowRowsToAggregates(rowsOf(flowsPath, json)),
    };
  }
  const trailPath = file(path.join('cloudtrail-lake', 'rows.json'));
  if (fs.existsSync(trailPath)) {
    const json = readJson(trailPath);
    out.trailCalls = {
      rows: trailRowsFromAnswer(rowsOf(trailPath, json)),
      read: `${String(json.from ?? "the trail's query engine")}: one query for the scan, ${formatBytes(Number(json.bytesScanned) || 0)} scanned (as recorded)`,
    };
  }
  return out;
}

class ScenarioSource implements TelemetrySource {
  constructor(
    readonly label: string,
    private readonly data: ScenarioData,
    private readonly flowThreads: FlowThreadOptions,
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

  async *readFlowLog(flowLog: FlowLogConfig, request: FlowReadRequest, signal: AbortSignal): AsyncIterable<FlowData> {
    this.failIfRecordedSo(`flow log ${flowLog.id}`);
    const athena = this.data.athenaFlows;
    if (athena) {
      // As the live source answered with --flow-logs-athena: each flow log its ENIs' rows of the one query.
      const ids = new Set(request.enis.map((e) => e.id));
      yield { kind: 'aggregated', source: `Athena table ${athena.table} (as recorded)`, rows: athena.rows.filter((r) => ids.has(r.eniId)) };
      yield {
        kind: 'summary',
        read: `with Athena on ${athena.table}: one query for the scan, ${formatBytes(athena.dataScannedBytes)} scanned (as recorded)`,
      };
      return;
    }
    if (flowLog.destinationType === 's3') {
      yield* this.readS3Objects(flowLog, request, signal);
      return;
    }
    const file = this.data.flowLogFiles.get(flowLog.id);
    if (!file) return;
    // A large file is aggregated on every core, the same as the engine would from the raw stream (it says how).
    if (request.localParse && usesFlowThreads(file, this.flowThreads)) {
      yield* parseFlowFileInThreads(file, flowLog.logFormat, request, signal, this.flowThreads);
      return;
    }
    if (!file.endsWith('.gz')) {
      yield { kind: 'raw', source: file, chunks: readAhead(file, signal) };
      return;
    }
    // A large one is inflated on a thread of its own, into buffers that go back and forth: no allocation here per MiB of text.
    if (usesInflatingThread(file)) {
      yield { kind: 'raw', source: file, chunks: inflatedInThread(file, signal, this.flowThreads.workerScript) };
      return;
    }
    // zlib inflates on libuv's thread pool: decompression overlaps parsing on the main thread.
    yield { kind: 'raw', source: file, chunks: gunzipFile(file, signal) };
  }

  /**
   * Recorded S3 objects, each read by its header line; none recorded: nothing yielded, and the scan says "not read". Many
   * together are inflated and parsed on threads when there are cores to spare, each object as the engine would its raw
   * stream.
   */
  private async *readS3Objects(flowLog: FlowLogConfig, request: FlowReadRequest, signal: AbortSignal): AsyncIterable<FlowData> {
    const objects = this.data.s3Objects.get(flowLog.id);
    if (!objects) return;
    const bytes = objects.reduce((a, o) => a + o.bytes, 0);
    const summary: FlowData = { kind: 'summary', read: `from S3 objects as recorded: ${objects.length} object(s), ${bytes} bytes` };
    if (request.localParse && usesObjectThreads(bytes, this.flowThreads)) {
      const items = [...objects.map(({ file, bytes: size }): FlowObject => ({ kind: 'object', source: file, file, size })), summary];
      const label = `the recorded S3 objects of flow log ${flowLog.id}`;
      yield* parseFlowObjectsInThreads(items, label, flowLog.logFormat, request, signal, this.flowThreads);
      return;
    }
    // The next few objects are read and inflated while one is parsed: for a small object that is mostly waiting.
    const opened = openedAhead(objects, OBJECTS_AHEAD, ({ file, bytes }) => openGzipObject({ file, size: bytes }, signal));
    for await (const [{ file }, text] of opened) {
      const { logFormat, rest } = await takeHeaderLine(text);
      yield { kind: 'raw', source: file, chunks: rest, ...(logFormat ? { logFormat } : {}) };
    }
    yield summary;
  }

  /** The trail's aggregate rows when they were recorded; else undefined, and the engine reads the recorded events. */
  async trailCalls(): Promise<TrailCalls | undefined> {
    return this.data.trailCalls;
  }

  async *lookupEvents(request: TrailRequest): AsyncIterable<TrailEvent[]> {
    this.failIfRecordedSo('cloudtrail:LookupEvents');
    yield this.data.events.filter((e) => e.eventTime >= request.start && e.eventTime < request.end);
  }

  /** Every recorded event of those names, whatever its time: an ENI in use may have been created long before the windows. */
  async *lookupManagementEvents(request: ManagementEventsRequest): AsyncIterable<TrailEvent[]> {
    this.failIfRecordedSo('cloudtrail:LookupEvents');
    // The recorder reads (and records the failure of) ENI events and function changes apart, under the scan's names.
    this.failIfRecordedSo(request.eventNames.includes('CreateNetworkInterface') ? SOURCE_CALLS.eniEvents : SOURCE_CALLS.functionChanges);
    const names = new Set(request.eventNames);
    yield this.data.events.filter((e) => names.has(e.eventName));
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
