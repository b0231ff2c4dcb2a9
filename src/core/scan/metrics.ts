// The metrics stage: hourly Lambda metrics of the scanned functions (and of their ENI neighbours, for attribution), analysed.
import { analyseMetrics, type MetricAnalysis } from '../detect/metric-findings';
import { hourlyMetrics } from '../metrics/hourly';
import { METRIC_NAMES, toIso } from '../model';
import type { WindowLengths, Windows } from '../scan';
import { HOUR_MS } from '../time';
import { SOURCE_CALLS } from './attempts';
import { groupBy } from './group-by';
import type { Inventory } from './inventory';
import type { ScanRun } from './run';

export interface MetricsReading {
  /** By function name: the scanned functions and every function sharing an ENI with one. */
  analyses: Map<string, MetricAnalysis>;
  /** The functions CloudWatch returned any series for. */
  withData: ReadonlySet<string>;
}

export async function readMetrics(run: ScanRun, inventory: Inventory, windows: Windows, lengths: WindowLengths): Promise<MetricsReading> {
  const { baselineDays, detectHours } = lengths;
  const metricFunctions = [...new Set([...inventory.selected, ...inventory.scannedEnis.flatMap((l) => l.functions)])];
  const request = {
    functionNames: metricFunctions,
    metrics: METRIC_NAMES,
    start: windows.baselineStart,
    end: windows.detectEnd,
    periodSeconds: 3600,
  };
  const series = (await run.attempts.attempt(SOURCE_CALLS.metrics, () => run.source.getMetrics(request, run.signal))) ?? [];
  const baselineHours = baselineDays * 24;
  const seriesByFunction = groupBy(series, (s) => s.functionName);
  // Where the source's metrics begin (a recording may be shorter than the baseline): hours before are unknown, not zero.
  let firstPoint = Infinity;
  for (const s of series) for (const p of s.points) if (p.t < firstPoint) firstPoint = p.t;
  const dataFrom = Number.isFinite(firstPoint) ? Math.floor((firstPoint - windows.baselineStart) / HOUR_MS) : 0;
  const analyses = new Map<string, MetricAnalysis>();
  for (const name of metricFunctions) {
    const m = hourlyMetrics(seriesByFunction.get(name) ?? [], windows.baselineStart, baselineHours + detectHours);
    analyses.set(name, analyseMetrics(m, baselineHours, detectHours, dataFrom));
  }
  if (dataFrom > 0 && series.length) {
    run.attempts.warn(
      `metrics start at ${toIso(firstPoint)}: the baseline has ${Math.max(0, baselineDays - Math.ceil(dataFrom / 24))} full day(s) of metrics, not ${baselineDays}`,
    );
  }
  return { analyses, withData: new Set(seriesByFunction.keys()) };
}
