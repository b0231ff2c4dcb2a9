// The last stage: the scan's report, from what the stages read and compared, stamped by the scan's clock.
import { toIso, type FunctionReport, type ScanReport } from '../model';
import type { Windows } from '../scan';
import type { TrailAttributor } from '../trail/calls';
import type { FlowLogReading } from './flow-logs';
import type { Inventory } from './inventory';
import type { ScanRun } from './run';

export interface ReportParts {
  inventory: Inventory;
  windows: Windows;
  flows: FlowLogReading;
  trail: TrailAttributor;
  functions: FunctionReport[];
}

export function scanReport(run: ScanRun, { inventory, windows, flows, trail, functions }: ReportParts): ScanReport {
  const finished = run.clock();
  const reads = run.source.takeReads?.();
  return {
    formatVersion: 1,
    accountId: inventory.account.accountId,
    region: inventory.account.region,
    source: run.source.label,
    generatedAt: toIso(finished),
    window: {
      baselineStart: toIso(windows.baselineStart),
      baselineEnd: toIso(windows.detectStart),
      detectStart: toIso(windows.detectStart),
      detectEnd: toIso(windows.detectEnd),
    },
    functions,
    warnings: run.attempts.warnings,
    stats: {
      flowRecords: flows.stats.records,
      flowRecordsAttributed: flows.stats.attributed,
      malformedFlowRecords: flows.stats.malformed,
      trailEvents: trail.events,
      durationMs: finished - run.started,
      stageMs: run.stageMs,
    },
    ...(reads ? { reads } : {}),
  };
}
