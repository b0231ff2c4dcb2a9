#!/usr/bin/env node
// `npm run bench`: the extension's activation (bundle size, require + activate time) and flow-record throughput
// (parse + attribution + aggregation) with peak memory at 1 and 5 million records, each in fresh processes; the
// generated accounts are cached in bench/.data. `npm run bench -- activation` (or `flow`) runs one part.
// `npm run bench -- scale` scans a 1,000-function account with 15 days of one-minute flow records, about 2 and about 21
// million of them on 575 Lambda ENIs, and reports wall time per stage, records/s and peak RSS side by side. It is not part
// of the default run: generating the two accounts takes about 3 minutes once (2.8 GiB in bench/.data), the 3 + 3 scans
// took 7.5 minutes on the 2-core development machine under load (BENCH_SCALE_RUNS=1: about a third of that).
// `npm run bench -- s3` (also in the default run when moto_server is installed) reads the same flow records from
// moto_server through CloudWatch Logs and from objects delivered to S3, live through AwsSource: records/s of each path.
// `npm run bench -- live-cache` (not in the default run) scans a moto_server account live twice through the cache of
// closed hours, for each flow-log destination: the first scan's and the second's wall time, flow-log bytes and requests.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.resolve(__dirname, '..');
const dataDir = path.join(__dirname, '.data');
const RUNS = Number(process.env.BENCH_RUNS || 3);
/** Activation is short and noisy: more fresh processes, best of them. */
const ACTIVATION_RUNS = Number(process.env.BENCH_ACTIVATION_RUNS || 15);
const TARGETS = { bundleKiB: 300, activationMs: 50 };
const HOST_RUNS = Number(process.env.BENCH_HOST_RUNS || 3);

/** Same account (functions, ENIs, trail, metrics), different flow volume: the memory difference is the records'. */
const SIZES = [
  { name: '1M', recordsPerEniHour: 24 },
  { name: '5M', recordsPerEniHour: 118 },
];
const ACCOUNT = ['--profile', 'scale', '--functions', '200', '--days', '15', '--seed', '11', '--no-gzip'];

/**
 * The scale account of issue 5: 1,000 functions, 300 Lambda ENIs (functions share ENIs by subnet + security-group set:
 * 55 security groups give 300), 15 days of flow records at one-minute aggregation, Lambda ENIs only.
 * Two flow volumes on the same account: the memory difference is the records'.
 */
const SCALE_SIZES = [
  { name: 'scale1000-2M', recordsPerEniHour: 20 },
  { name: 'scale1000-20M', recordsPerEniHour: 200 },
];
const SCALE_ACCOUNT = ['--profile', 'scale', '--functions', '1000', '--security-groups', '55', '--days', '15', '--seed', '11', '--no-gzip'];
/** The scale scans take tens of seconds each: BENCH_SCALE_RUNS (default BENCH_RUNS, 3) fresh processes per size, best of them. */
const SCALE_RUNS = Number(process.env.BENCH_SCALE_RUNS || RUNS);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`${cmd} ${args.join(' ')} failed`);
  }
  return r.stdout;
}

/**
 * The generated account in bench/.data/<dirName>, generated again only when the arguments changed. Returns the
 * directory and what generating it took (also for a cached one: it is kept in .generated.json beside the stamp).
 */
function generate(size, account = ACCOUNT, dirName = `scale-${size.name}`) {
  const out = path.join(dataDir, dirName);
  const stamp = path.join(out, '.args');
  const info = path.join(out, '.generated.json');
  const args = [...account, '--records-per-eni-hour', String(size.recordsPerEniHour), '--out', out];
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === args.join(' ')) {
    const generated = fs.existsSync(info) ? JSON.parse(fs.readFileSync(info, 'utf8')) : {};
    return { dir: out, cached: true, ...generated };
  }
  fs.rmSync(out, { recursive: true, force: true });
  process.stderr.write(`generating ${size.name} account...\n`);
  const t0 = process.hrtime.bigint();
  const said = sh(process.execPath, ['--import', 'tsx', 'src/gen/main.ts', ...args]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stderr.write(said);
  const generated = { seconds: Math.round(seconds * 10) / 10, at: new Date().toISOString(), output: said.trim(), bytes: dirBytes(out) };
  fs.writeFileSync(info, JSON.stringify(generated, null, 2) + '\n');
  fs.writeFileSync(stamp, args.join(' '));
  return { dir: out, cached: false, ...generated };
}

function dirBytes(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? dirBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size;
  return n;
}

function measure(dir, runCount = RUNS, threads = undefined) {
  const runs = [];
  const args = ['--import', 'tsx', 'bench/flow-bench.ts', dir, ...(threads !== undefined ? [String(threads)] : [])];
  for (let i = 0; i < runCount; i++) runs.push(JSON.parse(sh(process.execPath, args)));
  // Best of N: on a shared machine the slowest runs measure the neighbours.
  return runs.sort((a, b) => b.recordsPerSecond - a.recordsPerSecond)[0];
}

/**
 * The extension as it ships: `esbuild.config.js --production` (minified, no source maps) writes dist/extension.js,
 * measured on disk and loaded in fresh Node processes with the stub vscode module (bench/vscode-stub.js), best of N.
 * The development build is put back afterwards, as `npm run build` leaves it.
 */
function activationBench() {
  sh(process.execPath, ['esbuild.config.js', '--production']);
  try {
    const bundle = path.join(root, 'dist', 'extension.js');
    const bytes = fs.statSync(bundle).size;
    const gzipBytes = zlib.gzipSync(fs.readFileSync(bundle), { level: 9 }).length;
    const runs = [];
    for (let i = 0; i < ACTIVATION_RUNS; i++) runs.push(JSON.parse(sh(process.execPath, [path.join(__dirname, 'activation.js'), bundle])));
    // Best and median of each measure on its own (the best total is not always the best require).
    const stat = (key, pick) => {
      const v = runs.map((r) => r[key]).sort((x, y) => x - y);
      return pick === 'best' ? v[0] : v[Math.floor(v.length / 2)];
    };
    const keys = ['requireMs', 'activateMs', 'totalMs'];
    const best = { ...Object.fromEntries(keys.map((k) => [k, stat(k, 'best')])), subscriptions: runs[0].subscriptions };
    const median = Object.fromEntries(keys.map((k) => [k, stat(k, 'median')]));
    // What activation pulled in beside the bundle itself: the AWS SDK (dist/aws.js) or the webview must not be there.
    const extra = [...new Set(runs.flatMap((r) => r.loaded))].filter((f) => f !== path.join('dist', 'extension.js'));
    return { bytes, gzipBytes, best, median, extra, host: hostActivation() };
  } finally {
    sh(process.execPath, ['esbuild.config.js']);
  }
}

/**
 * The same inside a real extension host: the packaged .vsix installed into code-server, activated by opening its
 * view once the built-in extensions have settled, timed by VS Code itself. BENCH_HOST=0 skips it (it needs
 * code-server, which test/host/install.sh installs, and about a minute).
 */
function hostActivation() {
  if (process.env.BENCH_HOST === '0') return { skipped: 'BENCH_HOST=0' };
  try {
    sh('npm', ['run', '-s', 'package']);
    const out = sh(process.execPath, [
      path.join(__dirname, 'host-activation.js'),
      path.join(root, 'lambda-behavior.vsix'),
      String(HOST_RUNS),
    ]);
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    return { skipped: `failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function printActivation(a) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const ms = (n) => `${n.toFixed(1)} ms`;
  const verdict = (ok) => (ok ? 'ok' : 'OVER');
  const [load1] = os.loadavg();
  console.log(
    `\nExtension activation (production build; fresh node process, stub vscode; best of ${ACTIVATION_RUNS}), ${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, load ${load1.toFixed(1)} on ${os.cpus().length} CPUs`,
  );
  console.log('measure                        best        median      target');
  console.log(
    `dist/extension.js size         ${kib(a.bytes).padEnd(11)} ${''.padEnd(11)} ${`${TARGETS.bundleKiB} KiB`.padEnd(10)} ${verdict(a.bytes <= TARGETS.bundleKiB * 1024)}  (gzip ${kib(a.gzipBytes)})`,
  );
  console.log(`require(dist/extension.js)     ${ms(a.best.requireMs).padEnd(11)} ${ms(a.median.requireMs).padEnd(11)}`);
  console.log(`activate(context)              ${ms(a.best.activateMs).padEnd(11)} ${ms(a.median.activateMs).padEnd(11)}`);
  console.log(
    `require + activate             ${ms(a.best.totalMs).padEnd(11)} ${ms(a.median.totalMs).padEnd(11)} ${`${TARGETS.activationMs} ms`.padEnd(10)} ${verdict(a.best.totalMs <= TARGETS.activationMs)}`,
  );
  console.log(
    `activate() registered ${a.best.subscriptions} disposables; loaded beside the bundle: ${a.extra.length ? a.extra.join(', ') : 'nothing (no AWS SDK, no webview code)'}`,
  );
  if (a.host.skipped) console.log(`in a real extension host: skipped (${a.host.skipped})`);
  else {
    console.log(
      `in code-server's extension host, the installed .vsix, VS Code's own "Activation" (code loading + activate call): ` +
        `best ${a.host.bestMs} ms of ${a.host.times.length} windows (${a.host.times.join(', ')} ms); target ${TARGETS.activationMs} ms ${verdict(a.host.bestMs <= TARGETS.activationMs)}`,
    );
    console.log('  (the host loads the bundle through its module interceptors inside a busy renderer: noisier than the Node figure)');
  }
}

/** Thread counts the flow benchmark compares: one, two and one per core (once each). */
const THREAD_COUNTS = [...new Set([1, 2, os.availableParallelism()])];

/**
 * A gzip copy of a generated account (its flow log as `<id>.log.gz`, the JSON files as they are), cached beside it:
 * the flow stage over gzip input, inflating and parsing on separate threads.
 */
function gzipCopy(dir) {
  return derivedCopy(dir, 'gz', (out) => {
    fs.mkdirSync(path.join(out, 'flowlogs'), { recursive: true });
    for (const name of fs.readdirSync(path.join(dir, 'flowlogs'))) {
      const target = path.join(out, 'flowlogs', name.endsWith('.gz') ? name : `${name}.gz`);
      spawnSync('sh', ['-c', `gzip -6 -c "$0" > "$1"`, path.join(dir, 'flowlogs', name), target], { stdio: 'inherit' });
    }
  });
}

/**
 * `<dir>-<suffix>`: a copy of a generated account without its flow logs, which `build(out)` writes in another form; made
 * again only when the account was generated anew (its `.args`).
 */
function derivedCopy(dir, suffix, build) {
  const out = `${dir}-${suffix}`;
  const stamp = path.join(out, '.from');
  const from = fs.readFileSync(path.join(dir, '.args'), 'utf8');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === from) return out;
  fs.rmSync(out, { recursive: true, force: true });
  fs.cpSync(dir, out, { recursive: true, filter: (src) => !src.includes(`${path.sep}flowlogs`) });
  build(out);
  fs.writeFileSync(stamp, from);
  return out;
}

/**
 * The same account with its flow log delivered to S3, as AWS delivers it: one gzip object per flow log and five minutes
 * (records by their start), each with its header line, under AWS's key names (`flowlogs-s3/`), cached beside it. Many
 * small objects: the flow stage over S3 input, each object inflated and parsed on a thread.
 */
function s3ObjectsCopy(dir) {
  return derivedCopy(dir, 's3', (out) => {
    const describedFile = path.join(out, 'ec2', 'describe-flow-logs.json');
    const described = JSON.parse(fs.readFileSync(describedFile, 'utf8'));
    const { accountId, region } = JSON.parse(fs.readFileSync(path.join(out, 'scenario.json'), 'utf8'));
    for (const flowLog of described.FlowLogs) {
      const name = fs.readdirSync(path.join(dir, 'flowlogs')).find((n) => n.startsWith(flowLog.FlowLogId));
      if (!name) continue;
      const names = (
        flowLog.LogFormat ||
        '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}'
      )
        .split(' ')
        .map((t) => t.slice(2, -1));
      const startField = names.indexOf('start');
      let text = fs.readFileSync(path.join(dir, 'flowlogs', name));
      if (name.endsWith('.gz')) text = zlib.gunzipSync(text);
      const byInterval = new Map();
      for (const line of text.toString('latin1').split('\n')) {
        if (!line) continue;
        const interval = Math.floor(Number(line.split(' ')[startField]) / 300) * 300;
        let lines = byInterval.get(interval);
        if (!lines) byInterval.set(interval, (lines = []));
        lines.push(line);
      }
      text = undefined;
      for (const [interval, lines] of byInterval) {
        const at = new Date((interval + 300) * 1000);
        const day = path.join(out, 'flowlogs-s3', 'AWSLogs', accountId, 'vpcflowlogs', region, ...at.toISOString().slice(0, 10).split('-'));
        fs.mkdirSync(day, { recursive: true });
        const stampText = at.toISOString().replace(/[-:]/g, '').slice(0, 13);
        const object = path.join(
          day,
          `${accountId}_vpcflowlogs_${region}_${flowLog.FlowLogId}_${stampText}Z_${interval.toString(16)}.log.gz`,
        );
        fs.writeFileSync(object, zlib.gzipSync(`${names.join(' ')}\n${lines.join('\n')}\n`, { level: 6 }));
      }
      flowLog.LogDestinationType = 's3';
      flowLog.LogDestination = `arn:aws:s3:::${accountId}-flow-logs`;
      delete flowLog.LogGroupName;
    }
    fs.writeFileSync(describedFile, JSON.stringify(described));
  });
}

/**
 * Issue 11's account: 60 functions, one-minute flow logs in one gzip file, about 2.9 million records (the whole offline
 * scan is timed against the plain Python reference on it: issue11Line).
 */
const ISSUE11_SIZE = { name: '2.9M.gz', recordsPerEniHour: 211 };
const ISSUE11_ACCOUNT = ['--profile', 'scale', '--functions', '60', '--days', '15', '--seed', '11', '--gzip', '--interval', '60'];

/** Best wall time of RUNS runs of a command in fresh processes, with every time; or why it could not run. */
function bestWallMs(cmd, args) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (r.error || r.status !== 0) return { error: (r.stderr || String(r.error)).trim().slice(-300) };
    times.push(Math.round(Number(process.hrtime.bigint() - t0) / 1e6));
  }
  return { best: Math.min(...times), times };
}

/**
 * Issue 11's comparison, side by side on the same files, each a fresh process as a user runs it, best wall time of RUNS:
 * the CLI's whole offline scan of the 2.9M account (`scan --scenario DIR --format json`, every thread: open, flows,
 * CloudTrail, metrics, findings, the report) against bench/reference/flow_peers.py, the plain Python reference doing the
 * flow part of the job (per function its peers with their traffic; no CloudTrail, metrics or findings). Target: at most
 * 0.20 of the reference's time.
 */
function issue11Line(inputs) {
  const input = inputs.find((i) => i.name === ISSUE11_SIZE.name);
  const what = `whole offline scan of the ${ISSUE11_SIZE.name.replace(/\.gz$/, '')} account`;
  if (!input) return `${what}: not measured (no ${ISSUE11_SIZE.name} input)`;
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (python.error || python.status !== 0) return `${what}: against the plain Python reference: not measured, python3 is not on PATH`;
  const ours = bestWallMs(process.execPath, [
    path.join(root, 'dist', 'cli.js'),
    'scan',
    '--scenario',
    input.dir,
    '--format',
    'json',
    '--fail-on',
    'none',
  ]);
  if (ours.error) return `${what}: not measured, the CLI failed (${ours.error})`;
  const reference = bestWallMs('python3', [path.join(__dirname, 'reference', 'flow_peers.py'), input.dir, '--digest']);
  if (reference.error) return `${what}: against the plain Python reference: not measured, it failed (${reference.error})`;
  const ratio = ours.best / reference.best;
  return (
    `${what}, each a fresh process, best of ${RUNS}: the CLI ${ours.best} ms (${ours.times.join(', ')}; default threads, ${Math.max(1, os.availableParallelism() - 1)} parsing this gzip file) ` +
    `against the plain Python reference's ${reference.best} ms (bench/reference/flow_peers.py: ${reference.times.join(', ')}) = ${ratio.toFixed(2)} ` +
    `(target 0.20) ${ratio <= 0.2 ? 'ok' : 'OVER'}`
  );
}

/**
 * The flow benchmark: throughput and peak memory at 1M and 5M records (plain text), 5M over gzip, and issue 11's 2.9M
 * one-gzip-file account, per thread count.
 */
function flowBench() {
  fs.mkdirSync(dataDir, { recursive: true });
  const inputs = SIZES.map((size) => ({ name: size.name, dir: generate(size).dir }));
  inputs.push({ name: `${SIZES[SIZES.length - 1].name}.gz`, dir: gzipCopy(inputs[inputs.length - 1].dir) });
  inputs.push({ name: ISSUE11_SIZE.name, dir: generate(ISSUE11_SIZE, ISSUE11_ACCOUNT, 'issue11-2.9M-gz').dir });
  inputs.push({ name: '2.9M.s3', dir: s3ObjectsCopy(inputs[inputs.length - 1].dir) });
  const results = inputs.flatMap((input) => THREAD_COUNTS.map((threads) => ({ size: input.name, ...measure(input.dir, RUNS, threads) })));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const [load1] = os.loadavg();
  console.log(
    `\nFlow records through parse + attribution + aggregation (best of ${RUNS}), ${cpu}, ${os.availableParallelism()} CPUs, node ${process.version}, load ${load1.toFixed(1)}`,
  );
  console.log(
    'size     threads  records     attributed  flow stage  records/s   speed-up  CPU (all threads)  reference   whole scan  peak RSS  load',
  );
  for (const r of results) {
    const one = results.find((o) => o.size === r.size && o.threads === 1);
    const flowCpu = r.stageCpuMs?.flowLogs;
    console.log(
      `${r.size.padEnd(8)} ${String(r.threads).padEnd(8)} ${String(r.flowRecords).padEnd(11)} ${String(r.attributed).padEnd(11)} ${`${r.flowMs} ms`.padEnd(11)} ` +
        `${(r.recordsPerSecond / 1e6).toFixed(2).padStart(5)} M/s   ${`${(one.flowMs / r.flowMs).toFixed(2)}x`.padEnd(9)} ` +
        `${`${flowCpu ?? '-'} ms (${(r.recordsPerCpuSecond / 1e6).toFixed(2)} M/s)`.padEnd(18)} ${(r.referencePerSecond / 1e6).toFixed(2).padStart(5)} M/s   ` +
        `${`${r.scanMs} ms`.padEnd(11)} ${`${r.peakRssMiB} MiB`.padEnd(9)} ${r.loadAverage}`,
    );
  }
  console.log(
    "(threads: flow-log parsing threads, 1 = the calling thread only; speed-up: flow stage against 1 thread on the same input; CPU: the process's CPU time (every thread) over the flow stage, and records per CPU second; reference: a plain newline count over the same file just before on one thread, gunzip included for .gz: how fast this machine is right now; load: the 1-minute load average when the run ended)",
  );
  console.log(issue11Line(inputs));
  const [small, large] = results.filter((r) => r.threads === 1);
  console.log(
    `peak memory 5M vs 1M (1 thread): ${large.peakRssMiB - small.peakRssMiB >= 0 ? '+' : ''}${large.peakRssMiB - small.peakRssMiB} MiB (flat means the records are streamed)`,
  );
}

/**
 * The scale benchmark (`npm run bench -- scale`): the 1,000-function account at about 2 and about 21 million flow
 * records, each scanned offline (scenario replay through the engine) in fresh processes, best of SCALE_RUNS: wall time
 * per stage (report.stats.stageMs), flow records/s, whole-scan time and peak RSS side by side.
 */
function scaleBench() {
  fs.mkdirSync(dataDir, { recursive: true });
  const generated = SCALE_SIZES.map((size) => ({ size, ...generate(size, SCALE_ACCOUNT, size.name) }));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const [load1] = os.loadavg();
  console.log(`\nScale account: ${SCALE_ACCOUNT.join(' ')}`);
  for (const g of generated) {
    const what = g.output ? g.output.replace(/^wrote \S+: /, '').replace(/; labels .*?;/, ';') : 'generated earlier';
    const when = g.cached
      ? `cached in bench/.data (generated ${g.at ?? 'earlier'} in ${g.seconds ?? '?'} s)`
      : `generated now in ${g.seconds} s`;
    console.log(
      `  ${g.size.name} (--records-per-eni-hour ${g.size.recordsPerEniHour}): ${when}, ${g.bytes ? `${(g.bytes / 1024 ** 3).toFixed(2)} GiB` : '? GiB'}; ${what}`,
    );
  }
  const results = generated.map((g) => {
    const t0 = process.hrtime.bigint();
    const r = measure(g.dir, SCALE_RUNS);
    return { size: g.size.name, benchSeconds: Number(process.hrtime.bigint() - t0) / 1e9, ...r };
  });
  console.log(
    `\nScale scans (offline scenario replay through the engine, fresh process each, best of ${SCALE_RUNS}), ${cpu}, ${os.cpus().length} CPUs, node ${process.version}, load ${load1.toFixed(1)}`,
  );
  const stages = [...new Set(results.flatMap((r) => Object.keys(r.stageMs ?? {})))];
  const col = (v, w = 14) => String(v).padEnd(w);
  const wallCpu = (wall, cpuMs) => `${wall ?? '-'}${cpuMs !== undefined ? ` (${cpuMs})` : ''}`;
  console.log("wall time per stage in ms, the process's own CPU time in brackets");
  console.log(
    col('size', 15) +
      col('functions', 10) +
      col('records', 11) +
      col('open', 13) +
      stages.map((s) => col(s, 16)).join('') +
      col('whole scan', 16) +
      col('records/s', 18) +
      col('byte-loop', 11) +
      'peak RSS',
  );
  for (const r of results) {
    const cpuTotal = r.stageCpuMs ? Object.values(r.stageCpuMs).reduce((a, b) => a + b, 0) : undefined;
    console.log(
      col(r.size, 15) +
        col(r.functions, 10) +
        col(r.flowRecords, 11) +
        col(r.openMs ?? '-', 13) +
        stages.map((s) => col(wallCpu(r.stageMs?.[s], r.stageCpuMs?.[s]), 16)).join('') +
        col(wallCpu(r.scanMs, cpuTotal), 16) +
        col(`${(r.recordsPerSecond / 1e6).toFixed(2)} (${(r.recordsPerCpuSecond / 1e6).toFixed(2)}) M`, 18) +
        col(`${(r.referencePerSecond / 1e6).toFixed(2)} M/s`, 11) +
        `${r.peakRssMiB} MiB (${r.rssAfterJsonLoadMiB} after loading the JSON)`,
    );
  }
  console.log(
    '(open: openScenario reading and checking the recorded JSON at once, as the CLI and the extension\'s scan worker do, before the scan and outside "whole scan"; records/s: flow records over the flowLogs stage (parse, attribution, aggregation), per wall second and per CPU second; byte-loop: a plain newline count over the same file just before, how fast the machine is right now)',
  );
  const [small, large] = results;
  const diff = large.peakRssMiB - small.peakRssMiB;
  console.log(
    `peak memory ${large.size} vs ${small.size}: ${diff >= 0 ? '+' : ''}${diff} MiB for ${(large.flowRecords / small.flowRecords).toFixed(1)}x the records (flat means the records are streamed); ` +
      `the scans took ${results.map((r) => `${r.benchSeconds.toFixed(0)} s`).join(' and ')} in all`,
  );
}

/** moto_server on PATH (or MOTO_SERVER): the live benchmarks need it, and say so when it is missing. */
function motoFound() {
  const binary = process.env.MOTO_SERVER || 'moto_server';
  const found =
    fs.existsSync(binary) || (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, binary)));
  return { binary, found };
}

/**
 * The cache of closed hours (bench/live-cache-bench.ts in a fresh process): live scans of a moto_server account, the
 * first with an empty cache, the second a moment later with it, and one without a cache, per flow-log destination.
 */
function liveCacheBench() {
  const { binary, found } = motoFound();
  if (!found) {
    console.log(`\nLive scans with the cache of closed hours: skipped (${binary} is not installed: pip install 'moto[server]')`);
    return;
  }
  const r = JSON.parse(sh(process.execPath, ['--import', 'tsx', 'bench/live-cache-bench.ts']).trim().split('\n').pop());
  const [load1] = os.loadavg();
  console.log(
    `\nLive scans through the cache of closed hours, against moto_server (best wall time of ${r.runs}), ${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, load ${load1.toFixed(1)}`,
  );
  console.log(
    `account: ${r.days} days, ${r.functions} functions, ${r.lambdaEnis} Lambda ENIs, ${r.flowRecords} flow records (in CloudWatch Logs and as objects in S3); built in ${r.buildSeconds} s`,
  );
  const kib = (n) => `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
  console.log('flow logs in        scan                 wall time  flow-log bytes  requests  hours from cache / fetched  findings');
  for (const [name, m] of [
    ['CloudWatch Logs', r.cloudWatch],
    ['S3', r.s3],
  ]) {
    for (const [which, f] of [
      ['first (empty cache)', m.first],
      ['second (cached)', m.second],
      ['--no-cache', m.noCache],
    ]) {
      console.log(
        `${name.padEnd(20)}${which.padEnd(21)}${`${f.wallMs} ms`.padEnd(11)}${kib(f.flowBytes).padEnd(16)}${String(f.requests).padEnd(10)}` +
          `${which === '--no-cache' ? '-' : `${f.hoursFromCache} / ${f.hoursFetched}`}`.padEnd(28) +
          String(f.findings),
      );
    }
    const share = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');
    console.log(
      `${''.padEnd(20)}second / first: flow-log bytes ${share(m.second.flowBytes, m.first.flowBytes)}, requests ${share(m.second.requests, m.first.requests)}, ` +
        `GetMetricData ${m.second.byAction['cloudwatch:GetMetricData'] ?? 0} of ${m.first.byAction['cloudwatch:GetMetricData'] ?? 0}; the cache file ${kib(m.cacheBytes)} (gzip)`,
    );
  }
  console.log(
    "(hours: one source's hour of one key, an ENI's flows, a session's calls, a function's metrics; moto has no CloudTrail LookupEvents, so the trail's hours fail and are fetched, and counted, every time)",
  );
}

/**
 * Flow logs in S3 against CloudWatch Logs, both served by moto_server (bench/s3-bench.ts in a fresh process). Optional:
 * without moto_server on PATH (or MOTO_SERVER) it says so and is skipped.
 */
function s3Bench() {
  const { binary, found } = motoFound();
  if (!found) {
    console.log(`
Flow logs in S3 vs CloudWatch Logs: skipped (${binary} is not installed: pip install 'moto[server]')`);
    return;
  }
  const r = JSON.parse(sh(process.execPath, ['--import', 'tsx', 'bench/s3-bench.ts']).trim().split('\n').pop());
  const [load1] = os.loadavg();
  console.log(
    `\nFlow logs read live from moto_server (flow stage through AwsSource, best of ${r.runs}), ${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, load ${load1.toFixed(1)}`,
  );
  console.log(
    `account: ${r.days} days, ${r.recordsWritten} records written, also as ${r.s3Objects} gzip objects (${(r.s3Bytes / 1024).toFixed(0)} KiB) in S3; built in ${r.buildSeconds} s`,
  );
  console.log('path                                   records parsed  flow stage  records/s');
  for (const [name, m] of [
    ['CloudWatch Logs (FilterLogEvents)', r.cloudWatch],
    ['S3 objects (ListObjectsV2, GetObject)', r.s3],
  ]) {
    console.log(`${name.padEnd(39)}${String(m.flowRecords).padEnd(16)}${`${m.flowMs} ms`.padEnd(12)}${m.recordsPerSecond}`);
  }
  console.log(
    `(moto's FilterLogEvents ignores logStreamNamePrefix: the CloudWatch Logs path parses every stream once per Lambda ENI, ${r.lambdaEnis} here)`,
  );
}

const PARTS = ['activation', 'flow', 'scale', 's3', 'live-cache'];
const parts = process.argv.slice(2);
const unknown = parts.filter((p) => !PARTS.includes(p));
if (unknown.length) {
  console.error(`bench: unknown part ${unknown.join(', ')} (parts: ${PARTS.join(', ')}; the default run is activation, flow and s3)`);
  process.exit(2);
}
if (parts.length === 0 || parts.includes('activation')) printActivation(activationBench());
if (parts.length === 0 || parts.includes('flow')) flowBench();
if (parts.includes('scale')) scaleBench();
if (parts.length === 0 || parts.includes('s3')) s3Bench();
if (parts.includes('live-cache')) liveCacheBench();
