// One benchmark run in a fresh process: scan a generated scenario and print timings and peak memory as JSON.
import * as fs from 'node:fs';
import { scan } from '../src/core/scan';
import { openScenario } from '../src/replay/scenario';

/** Peak resident set size of this process so far (VmHWM), in MiB. */
function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const before = peakRssMiB();
  const source = openScenario(dir);
  const afterLoad = peakRssMiB();
  const report = await scan(source, {});
  const stats = report.stats!;
  const flowMs = stats.stageMs?.flowLogs ?? NaN;
  process.stdout.write(
    JSON.stringify({
      dir,
      functions: report.functions.length,
      findings: report.functions.reduce((n, f) => n + f.findings.length, 0),
      flowRecords: stats.flowRecords,
      attributed: stats.flowRecordsAttributed,
      flowMs,
      recordsPerSecond: Math.round(stats.flowRecords / (flowMs / 1000)),
      scanMs: stats.durationMs,
      stageMs: stats.stageMs,
      peakRssMiB: Math.round(peakRssMiB()),
      rssAfterJsonLoadMiB: Math.round(afterLoad),
      rssAtStartMiB: Math.round(before),
    }) + '\n',
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
