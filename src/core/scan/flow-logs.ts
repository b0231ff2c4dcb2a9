// The flow-log stage: each Lambda ENI assigned to one flow log, each flow log read once, its records aggregated per ENI and peer.
import { FlowAggregator, type FlowParseStats } from '../flowlog/aggregate';
import { LogFormatError, parseLogFormat } from '../flowlog/format';
import type { FlowAggregate, FlowLogConfig, NetworkInterface } from '../model';
import { SourceError } from '../ports';
import type { Windows } from '../scan';
import { flowLogCall, type SourceFailure } from './attempts';
import type { Inventory } from './inventory';
import type { ScanRun } from './run';

export interface FlowLogAssignment {
  byFlowLog: Map<FlowLogConfig, NetworkInterface[]>;
  byEni: Map<string, FlowLogConfig>;
}

/** Why a flow log was not (fully) read: in words for coverage, with the source's failure when that was the reason. */
export interface FlowLogProblem {
  text: string;
  failure?: SourceFailure;
}

export interface FlowLogReading {
  assignment: FlowLogAssignment;
  /** Baseline and detection traffic per ENI, peer and port. */
  rows: FlowAggregate[];
  stats: FlowParseStats;
  /** By flow log id. */
  problems: Map<string, FlowLogProblem>;
  /** How a flow log was read when the source had to fall back (by flow log id): its coverage says so. */
  notes: Map<string, string>;
}

export async function readFlowLogs(run: ScanRun, inventory: Inventory, windows: Windows): Promise<FlowLogReading> {
  const enis = inventory.scannedEnis;
  const assignment = assignFlowLogs(enis.map((l) => l.eni), inventory.flowLogs);
  const aggregator = new FlowAggregator(
    enis.map((l) => ({ id: l.eni.id, addresses: [...l.eni.privateIps, ...l.eni.ipv6Ips] })),
    { start: windows.baselineStart, end: windows.detectEnd },
    windows.detectStart,
    inventory.history,
  );
  const reader = new FlowLogReader(run, aggregator, windows);
  for (const [flowLog, covered] of assignment.byFlowLog) await reader.read(flowLog, covered);
  const stats = aggregator.stats;
  if (stats.malformed > 0) {
    const examples = stats.malformedExamples.map((m) => `${m.source} line ${m.line}: ${m.reason}`).join('; ');
    run.attempts.warn(`${stats.malformed} malformed flow record(s) skipped (${examples})`);
  }
  return { assignment, rows: aggregator.aggregates(), stats, problems: reader.problems, notes: reader.notes };
}

/** Each ENI is read from one flow log only, the most specific (ENI, then subnet, then VPC), so no record counts twice. */
export function assignFlowLogs(enis: readonly NetworkInterface[], flowLogs: readonly FlowLogConfig[]): FlowLogAssignment {
  const active = flowLogs.filter((f) => !f.status || f.status === 'ACTIVE');
  const byFlowLog = new Map<FlowLogConfig, NetworkInterface[]>();
  const byEni = new Map<string, FlowLogConfig>();
  for (const eni of enis) {
    const rank = (f: FlowLogConfig) =>
      (f.resourceId === eni.id ? 30 : f.resourceId === eni.subnetId ? 20 : f.resourceId === eni.vpcId ? 10 : 0) +
      (f.destinationType === 'cloud-watch-logs' ? 2 : 0) + (f.trafficType === 'ALL' || !f.trafficType ? 1 : 0);
    const best = active.filter((f) => rank(f) >= 10).sort((a, b) => rank(b) - rank(a))[0];
    if (!best) continue;
    byEni.set(eni.id, best);
    const list = byFlowLog.get(best) ?? [];
    list.push(eni);
    byFlowLog.set(best, list);
  }
  return { byFlowLog, byEni };
}

/** Reads flow logs into one aggregator, noting per flow log what could not be read and how it was read. */
class FlowLogReader {
  readonly problems = new Map<string, FlowLogProblem>();
  readonly notes = new Map<string, string>();

  constructor(
    private readonly run: ScanRun,
    private readonly aggregator: FlowAggregator,
    private readonly windows: Windows,
  ) {}

  async read(flowLog: FlowLogConfig, covered: NetworkInterface[]): Promise<void> {
    const problem = await this.readOne(flowLog, covered);
    if (problem) this.problems.set(flowLog.id, problem);
  }

  private async readOne(flowLog: FlowLogConfig, covered: NetworkInterface[]): Promise<FlowLogProblem | undefined> {
    const { source, signal, attempts } = this.run;
    if (flowLog.destinationType === 's3') return { text: `flow logs go to S3 bucket ${bucketOf(flowLog.destination)}: not read yet` };
    if (flowLog.destinationType !== 'cloud-watch-logs') return { text: `flow log ${flowLog.id} goes to ${flowLog.destinationType}: not read` };
    let format;
    try {
      format = parseLogFormat(flowLog.logFormat);
    } catch (err) {
      if (err instanceof LogFormatError) return { text: `flow log ${flowLog.id}: ${err.message}` };
      throw err;
    }
    if (format.unknownFields.length) attempts.warn(`flow log ${flowLog.id}: unknown LogFormat field(s) ${format.unknownFields.join(', ')} ignored`);
    const request = {
      start: this.windows.baselineStart,
      end: this.windows.detectEnd,
      enis: covered.map((e) => ({ id: e.id, addresses: [...e.privateIps, ...e.ipv6Ips] })),
    };
    const coveredIds = request.enis.map((e) => e.id);
    const call = flowLogCall(flowLog.id);
    const succeeded = await attempts.attempt(call, async () => {
      for await (const data of source.readFlowLog(flowLog, request, signal)) {
        if (data.note && !this.notes.has(flowLog.id)) {
          this.notes.set(flowLog.id, data.note);
          attempts.warn(`flow log ${flowLog.id}: ${data.note}`);
        }
        if (data.kind === 'aggregated') {
          signal.throwIfAborted();
          this.aggregator.addAggregates(data.rows, coveredIds);
          continue;
        }
        const stream = this.aggregator.stream(format, data.source, coveredIds);
        // Raw chunks are always iterated, even once cancelled: leaving the loop closes the source's stream,
        // where a stream never iterated could fail later with no one listening.
        try {
          for await (const chunk of data.chunks) {
            signal.throwIfAborted();
            stream.push(chunk);
          }
        } catch (err) {
          if (signal.aborted || SourceError.is(err)) throw err;
          // A truncated or corrupt file: keep what was read, say where it stopped.
          attempts.warn(`${data.source}: reading stopped early (${(err as Error).message}); records before that point are used`);
        }
        stream.end();
      }
      return true;
    });
    if (succeeded) return undefined;
    const failure = attempts.failureOf(call);
    return { text: `flow log ${flowLog.id}: ${failure?.text}`, ...(failure ? { failure } : {}) };
  }
}

function bucketOf(destination: string | undefined): string {
  return destination?.replace(/^arn:aws[a-z-]*:s3:::/, '').split('/')[0] || '(unknown)';
}
