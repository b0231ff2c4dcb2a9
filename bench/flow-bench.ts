// One benchmark run in a fresh process: scan a generated scenario and print timings and peak memory as JSON.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { scan } from '../src/core/scan';
import { defaultFlowThreads } from '../src/node/flow-workers';
import { openScenario } from '../src/replay/scenario';

/** Peak resident set size of this process so far (VmHWM), in MiB. */
function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

/** The scenario's flow-log file, or its S3 objects (`flowlogs-s3/`). */
function flowFiles(dir: string): string[] {
  const flat = path.join(dir, 'flowlogs');
  if (fs.existsSync(flat)) {
    const name = fs.readdirSync(flat).find((n) => n.endsWith('.log') || n.endsWith('.log.gz'));
    return name ? [path.join(flat, name)] : [];
  }
  const s3 = path.join(dir, 'flowlogs-s3');
  if (!fs.existsSync(s3)) return [];
  return (fs.readdirSync(s3, { recursive: true }) as string[]).filter((n) => n.endsWith('.log.gz')).map((n) => path.join(s3, n));
}

/**
 * How fast this machine reads bytes today: a plain byte loop over the flow log, records per second. Shared
 * machines drift by tens of percent between runs; the ratio to this reference is what compares across runs.
 */
async function referenceRecordsPerSecond(dir: string): Promise<number> {
  const files = flowFiles(dir);
  if (!files.length) return NaN;
  const t0 = process.hrtime.bigint();
  let lines = 0;
  if (files[0].endsWith('.gz')) {
    // Gzip files (one, or S3 objects): the gunzip limit (1 MiB chunks), counting lines, on one thread.
    for (const file of files) {
      const text = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(zlib.createGunzip({ chunkSize: 1 << 20 }));
      for await (const chunk of text as AsyncIterable<Buffer>) {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      }
    }
    return Math.round(lines / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  const file = files[0];
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let read: number;
  while ((read = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
    for (let i = 0; i < read; i++) if (buf[i] === 10) lines++;
  }
  fs.closeSync(fd);
  return Math.round(lines / (Number(process.hrtime.bigint() - t0) / 1e9));
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  // Flow-log parsing threads (argv[3]): files of any size use them when more than one. Without it, the product's defaults
  // (threads per core and file kind, and the smallest file worth them).
  const threads = process.argv[3] ? Number(process.argv[3]) : undefined;
  const referencePerSecond = await referenceRecordsPerSecond(dir);
  const before = peakRssMiB();
  const opening = process.hrtime.bigint();
  // The built thread script when there is one (npm run bench builds first; FLOW_WORKER_SCRIPT: another build): under tsx each
  // thread would compile the sources.
  const built = process.env.FLOW_WORKER_SCRIPT ?? path.join(__dirname, '..', 'dist', 'flow-worker.js');
  const flowThreads = {
    ...(threads !== undefined ? { threads, minBytes: 0 } : {}),
    ...(fs.existsSync(built) ? { workerScript: built } : {}),
  };
  // The recorded JSON (inventory, CloudTrail, metrics) read and checked at once, as the CLI and the extension's scan worker do.
  const source = openScenario(dir, undefined, { flowThreads });
  const openMs = Math.round(Number(process.hrtime.bigint() - opening) / 1e6);
  const afterLoad = peakRssMiB();
  // CPU time (user + system) at each progress message: the first opens the scan, each later one closes a stage, in
  // stageMs's order. On a loaded machine wall time measures the neighbours too; CPU time is this process's own.
  const cpu: number[] = [];
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const report = await scan(source, { onProgress: () => cpu.push(cpuNow()) });
  const stats = report.stats!;
  const flowMs = stats.stageMs?.flowLogs ?? NaN;
  const stageNames = Object.keys(stats.stageMs ?? {});
  const stageCpuMs =
    cpu.length === stageNames.length + 1
      ? Object.fromEntries(stageNames.map((name, i) => [name, Math.round(cpu[i + 1] - cpu[i])]))
      : undefined;
  const flowCpuMs = stageCpuMs?.flowLogs ?? NaN;
  process.stdout.write(
    JSON.stringify({
      dir,
      threads: threads ?? `default (${defaultFlowThreads()} per plain file, ${defaultFlowThreads(true)} per gzip file)`,
      functions: report.functions.length,
      findings: report.functions.reduce((n, f) => n + f.findings.length, 0),
      flowRecords: stats.flowRecords,
      attributed: stats.flowRecordsAttributed,
      flowMs,
      recordsPerSecond: Math.round(stats.flowRecords / (flowMs / 1000)),
      referencePerSecond,
      scanMs: stats.durationMs,
      openMs,
      stageMs: stats.stageMs,
      stageCpuMs,
      recordsPerCpuSecond: Math.round(stats.flowRecords / (flowCpuMs / 1000)),
      loadAverage: Math.round(os.loadavg()[0] * 10) / 10,
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
