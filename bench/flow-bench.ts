// One benchmark run in a fresh process: scan a generated scenario and print timings and peak memory as JSON.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { scan } from '../src/core/scan';
import { defaultFlowThreads } from '../src/node/flow-workers';
import { openScenario, openScenarioInThreads } from '../src/replay/scenario';

/** Peak resident set size of this process so far (VmHWM), in MiB. */
function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

/**
 * How fast this machine reads bytes today: a plain byte loop over the flow log, records per second. Shared
 * machines drift by tens of percent between runs; the ratio to this reference is what compares across runs.
 */
async function referenceRecordsPerSecond(dir: string): Promise<number> {
  const name = fs.readdirSync(path.join(dir, 'flowlogs')).find((n) => n.endsWith('.log') || n.endsWith('.log.gz'));
  if (!name) return NaN;
  const file = path.join(dir, 'flowlogs', name);
  const t0 = process.hrtime.bigint();
  let lines = 0;
  if (name.endsWith('.gz')) {
    // A gzip file: the gunzip limit (1 MiB chunks), counting lines, on one thread.
    const text = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(zlib.createGunzip({ chunkSize: 1 << 20 }));
    for await (const chunk of text as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    }
    return Math.round(lines / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let read: number;
  while ((read = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
    for (let i = 0; i < read; i++) if (buf[i] === 10) lines++;
  }
  fs.closeSync(fd);
  return Math.round(lines / (Number(process.hrtime.bigint() - t0) / 1e9));
}

/** This thread's time on a CPU so far in ms (Linux: /proc/thread-self/schedstat), else the process's. */
function threadCpuMs(): number {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
}

/** A 1 ms timer measuring the most CPU this thread spent between two of its ticks, until stopped. */
function longestStretch(): { stop: () => number } {
  let longest = 0;
  let last = threadCpuMs();
  const tick = () => {
    const now = threadCpuMs();
    longest = Math.max(longest, now - last);
    last = now;
  };
  const timer = setInterval(tick, 1);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return longest;
    },
  };
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  // Flow-log parsing threads (argv[3]; default one per core): files of any size use them when more than one.
  const threads = process.argv[3] ? Number(process.argv[3]) : defaultFlowThreads();
  const referencePerSecond = await referenceRecordsPerSecond(dir);
  const before = peakRssMiB();
  const opening = process.hrtime.bigint();
  // The built thread script when there is one (npm run bench builds first; FLOW_WORKER_SCRIPT: another build): under tsx each
  // thread would compile the sources.
  const built = process.env.FLOW_WORKER_SCRIPT ?? path.join(__dirname, '..', 'dist', 'flow-worker.js');
  const flowThreads = { threads, minBytes: 0, ...(fs.existsSync(built) ? { workerScript: built } : {}) };
  // The recorded JSON (inventory, CloudTrail, metrics) read on parsing threads, as the editor and CLI read it
  // (BENCH_OPEN=sync: on this thread, at once, the old way). The longest stretch of this thread's CPU between two turns of
  // its event loop says how long the open could block it.
  const sync = process.env.BENCH_OPEN === 'sync';
  const stretch = sync ? undefined : longestStretch();
  const source = sync ? openScenario(dir, undefined, { flowThreads }) : await openScenarioInThreads(dir, undefined, { flowThreads });
  const openMs = Math.round(Number(process.hrtime.bigint() - opening) / 1e6);
  const openLongestStretchMs = stretch?.stop();
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
      threads,
      functions: report.functions.length,
      findings: report.functions.reduce((n, f) => n + f.findings.length, 0),
      flowRecords: stats.flowRecords,
      attributed: stats.flowRecordsAttributed,
      flowMs,
      recordsPerSecond: Math.round(stats.flowRecords / (flowMs / 1000)),
      referencePerSecond,
      scanMs: stats.durationMs,
      openMs,
      openOnThreads: !sync,
      ...(openLongestStretchMs !== undefined ? { openLongestStretchMs: Math.round(openLongestStretchMs * 10) / 10 } : {}),
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
