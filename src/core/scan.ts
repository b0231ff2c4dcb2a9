// One scan: read the account through the ports, attribute every source to functions, compare windows, and build the report.
import type { AcceptedBehaviour } from './accepted';
import { addDeployContext } from './detect/deploys';
import { applyUserRules, IgnoreMatcher, type IgnoreRules } from './ignore';
import type { EniHistory } from './inventory/history';
import type { EpochMs, ScanReport } from './model';
import { silentLogger, type Logger, type TelemetrySource } from './ports';
import { readCloudTrail } from './scan/cloudtrail';
import { describeEniHistory, readManagementEvents, withEniHistory } from './scan/eni-history';
import { readFlowLogs } from './scan/flow-logs';
import { functionReports } from './scan/function-report';
import { readInventory } from './scan/inventory';
import { readMetrics } from './scan/metrics';
import { scanReport } from './scan/report';
import { ScanRun, type Clock } from './scan/run';
import { HOUR_MS } from './time';

export interface ScanOptions {
  /** The end of the detection window; defaults to the recording time of a scenario, else the clock. */
  now?: EpochMs;
  /** The scan's one source of "now": the default end of the window, stage timings and `generatedAt` (default `Date.now`). */
  clock?: Clock;
  baselineDays?: number;
  detectHours?: number;
  /** Only these functions (all when empty). */
  functions?: string[];
  accepted?: AcceptedBehaviour;
  /** Peers and API calls left out of the report, with the findings about them. */
  ignore?: IgnoreRules;
  signal?: AbortSignal;
  logger?: Logger;
  /** ENI history kept across scans; the current inventory is added to it. */
  history?: EniHistory;
  onProgress?: (message: string) => void;
}

export const DEFAULT_BASELINE_DAYS = 14;
export const DEFAULT_DETECT_HOURS = 24;
/** Two weeks: the longest detection window (a longer one would be a baseline of its own). */
export const MAX_DETECT_HOURS = 336;
/** CloudTrail's LookupEvents reaches back 90 days: a longer baseline could not be answered. */
export const MAX_BASELINE_DAYS = 89;

/** How long the baseline and the detection window are. */
export interface WindowLengths {
  baselineDays: number;
  detectHours: number;
}

export interface Windows {
  baselineStart: EpochMs;
  detectStart: EpochMs;
  detectEnd: EpochMs;
}

/** The detection window ends on the hour at or after `now`, so that it lines up with CloudWatch's hourly periods. */
export function scanWindows(now: EpochMs, baselineDays: number, detectHours: number): Windows {
  const detectEnd = Math.ceil(now / HOUR_MS) * HOUR_MS;
  const detectStart = detectEnd - detectHours * HOUR_MS;
  return { baselineStart: detectStart - baselineDays * 24 * HOUR_MS, detectStart, detectEnd };
}

/**
 * Scans through `source`. Once `options.signal` aborts, the scan rejects with its reason, whatever the source
 * does with the signal: it never resolves with a report built from half-read sources after a cancellation.
 */
export async function scan(source: TelemetrySource, options: ScanOptions = {}): Promise<ScanReport> {
  const signal = options.signal ?? new AbortController().signal;
  try {
    const report = await runScan(source, options, signal);
    signal.throwIfAborted();
    return report;
  } catch (err) {
    // The SDK rejects with its own AbortError, a source may fail in any way once cancelled: the cause is the abort.
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}

/**
 * The stages in order, each a function of the run and of what the stages before it returned. A new source is one more
 * stage: a function in src/core/scan/, a `StageName` for its timing, and a line here.
 */
async function runScan(source: TelemetrySource, options: ScanOptions, signal: AbortSignal): Promise<ScanReport> {
  const lengths = windowLengths(options);
  // A bad rule is the user's typo: say so before any AWS call is made.
  const ignore = options.ignore ? new IgnoreMatcher(options.ignore) : undefined;
  const run = new ScanRun(
    source,
    signal,
    options.clock ?? Date.now,
    options.logger ?? silentLogger,
    options.onProgress ?? (() => undefined),
  );

  // The inventory with its history: EC2's ENIs now, and from CloudTrail (and earlier scans) those that served a function
  // in the windows and no longer exist; with the function changes, which the findings are put in context of.
  const { inventory, windows, management } = await run.stage('inventory', 'Reading the inventory', async () => {
    const current = await readInventory(run, options);
    const windows = scanWindows(current.now, lengths.baselineDays, lengths.detectHours);
    const management = await readManagementEvents(run, current, windows);
    return { inventory: withEniHistory(current, management, windows), windows, management };
  });
  const flows = await run.stage('flowLogs', 'Reading flow logs', () => readFlowLogs(run, inventory, windows));
  const trail = await run.stage('cloudtrail', 'Reading CloudTrail', () => readCloudTrail(run, inventory, windows));
  const metrics = await run.stage('metrics', 'Reading metrics', () => readMetrics(run, inventory, windows, lengths));
  const functions = await run.stage('detect', 'Comparing with the baseline', () => {
    const reports = functionReports({
      inventory,
      flows,
      trail,
      metrics,
      attempts: run.attempts,
      windows,
      detectHours: lengths.detectHours,
      accepted: options.accepted,
    });
    addDeployContext(reports, inventory.functions, management.changes);
    describeEniHistory(reports, inventory.scannedEnis);
    return reports;
  });
  run.finish('Done');

  const report = scanReport(run, { inventory, windows, flows, trail, functions });
  run.log.info(
    `[scan] ${functions.length} function(s), ${flows.stats.records} flow record(s), ${trail.events} CloudTrail event(s) in ${report.stats!.durationMs} ms`,
  );
  return ignore ? applyUserRules(report, { ignore }) : report;
}

function windowLengths(options: ScanOptions): WindowLengths {
  const baselineDays = options.baselineDays ?? DEFAULT_BASELINE_DAYS;
  const detectHours = options.detectHours ?? DEFAULT_DETECT_HOURS;
  if (!(baselineDays >= 1 && baselineDays <= MAX_BASELINE_DAYS))
    throw new RangeError(`baseline days must be between 1 and ${MAX_BASELINE_DAYS}`);
  if (!(detectHours >= 1 && detectHours <= MAX_DETECT_HOURS))
    throw new RangeError(`detection hours must be between 1 and ${MAX_DETECT_HOURS}`);
  return { baselineDays, detectHours };
}
