// Responsiveness with 1,000 functions in a real extension host: a generated scale scenario (few flow records) scanned through
// the extension, which must never keep the host's event loop busy over 50 ms at a stretch (the replay scan runs on a worker thread);
// then the tree (getChildren, getTreeItem, resolveTreeItem, a reveal in the real view), the "Scan function" quick pick's items
// and the behaviour-diff webview of the largest function are timed against generous ceilings, with the extension host's memory
// before and after. The figures are in the test titles' log lines (console.log, the host console).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { FunctionReport, ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import { demoConnection } from '../../../src/extension/session';
import { functionPicks } from '../../../src/extension/targets';
import { buildDiffViewModel } from '../../../src/extension/webview/diff-model';
import { orderFunctions } from '../../../src/report/view-model';
import type { RenderedSummary } from '../../../src/shared/protocol';
import type { FunctionsTreeNode } from '../../../src/extension/tree/functions-tree';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
const FUNCTIONS = 1000;
/** Generator arguments: the scale cast of 1,000 functions over a short span with few flow records, so that generation + scan stay well under a minute. */
const GEN_ARGS = ['--profile', 'scale', '--functions', String(FUNCTIONS), '--days', '4', '--records-per-eni-hour', '2', '--seed', '5'];

/**
 * Ceilings, in ms. Generous on purpose: they must hold on a loaded 2-core CI machine; a quadratic slip (a scan over
 * all functions per node) costs seconds at this size, far above them. The figures measured are logged.
 */
const CEILING = {
  firstLevel: 1_000,
  expandAll: 3_000,
  treeItems: 3_000,
  resolveSample: 2_000,
  revealInView: 15_000,
  quickPickItems: 500,
  diffRender: 15_000,
};

/**
 * The longest the extension host's thread may run at a stretch during a scan (issue 11): a replay scan runs on a worker
 * thread. Judged by the thread's CPU time between two ticks (this host's JavaScript and GC on its thread), where the kernel
 * tells it; the busy time around it also counts the moments the thread sat runnable while other processes or the VM's
 * host held the cores.
 */
const MAX_BLOCK_CPU_MS = 50;
/**
 * The busy time allowed at a stretch, whatever the machine's load: a block that is not CPU (a synchronous read, a wait on
 * another thread) is still a block. Measured on the 2-core machine with two busy loops beside the run: a stretch of 21 ms
 * CPU was busy 43 ms, a scavenge 63 ms; a CI run saw 110 ms busy for the 46 ms the tree's 1,000 functions then took.
 * The report taken in in one turn instead of a batch a turn, tried on purpose: CPU 77 ms, busy 137 ms.
 */
const MAX_BLOCK_BUSY_MS = 150;

/** This thread's CPU time and its time runnable but waiting for a core, in ms (Linux: the kernel's schedstat); undefined elsewhere. */
function threadSchedule(): { cpuMs: number; queuedMs: number } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const [cpu, queued] = fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
    // A kernel that keeps no such account prints zeros: then busy is judged instead.
    return cpu! > 0 && Number.isFinite(cpu) && Number.isFinite(queued) ? { cpuMs: cpu! / 1e6, queuedMs: queued! / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the event loop stalled: a 5 ms timer's late ticks, with named moments, in ms after start(). Each late tick also
 * says how long of that gap the loop was busy (event-loop utilization's active time: JavaScript, GC, I/O callbacks), and
 * of that how much was this thread's CPU time and how long it waited for a core: a gap the loop spent idle or waiting was
 * the machine's other processes holding both cores (code-server, Chromium, the VM's host), not this thread's work.
 */
class BlockSampler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private started = 0;
  private last = 0;
  private elu = performance.eventLoopUtilization();
  private readonly events: string[] = [];
  /** Garbage collections of 10 ms or more, named in the timeline (a major one in a busy stretch tells what held the loop). */
  private readonly gc = new PerformanceObserver((list) => this.noteGc(list.getEntries()));
  private schedule = threadSchedule();
  /** The longest gap between ticks, the longest time the loop was busy within one, and the most CPU time in one (busy where the kernel does not tell). */
  maxGapMs = 0;
  maxBusyMs = 0;
  maxCpuMs = 0;

  start(): void {
    this.started = this.last = performance.now();
    this.elu = performance.eventLoopUtilization();
    this.schedule = threadSchedule();
    this.gc.observe({ entryTypes: ['gc'] });
    this.timer = setInterval(() => {
      const now = performance.now();
      const elu = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(elu, this.elu).active;
      const schedule = threadSchedule();
      const cpu = schedule && this.schedule ? schedule.cpuMs - this.schedule.cpuMs : busy;
      const split =
        schedule && this.schedule
          ? `CPU ${cpu.toFixed(0)}, waiting for a core ${(schedule.queuedMs - this.schedule.queuedMs).toFixed(0)}; `
          : '';
      const gap = now - this.last;
      this.maxGapMs = Math.max(this.maxGapMs, gap);
      this.maxBusyMs = Math.max(this.maxBusyMs, busy);
      this.maxCpuMs = Math.max(this.maxCpuMs, cpu);
      if (gap > 20) this.events.push(`${gap.toFixed(0)} ms (${split}busy ${busy.toFixed(0)}) at ${(this.last - this.started).toFixed(0)}`);
      this.last = now;
      this.elu = elu;
      this.schedule = schedule;
    }, 5);
  }

  mark(what: string): void {
    this.events.push(`[${what} at ${(performance.now() - this.started).toFixed(0)}]`);
  }

  stop(): void {
    clearInterval(this.timer);
    this.noteGc(this.gc.takeRecords()); // the entries not yet delivered
    this.gc.disconnect();
  }

  private noteGc(entries: readonly PerformanceEntry[]): void {
    for (const e of entries)
      if (e.duration >= 10) this.events.push(`(GC ${gcKind(e)} ${e.duration.toFixed(0)} ms at ${(e.startTime - this.started).toFixed(0)})`);
  }

  describe(): string {
    return this.events.join(', ') || 'none';
  }
}

/**
 * With LAMBDA_BEHAVIOR_SCALE_PROFILE set to a file, a CPU profile of this thread over the scan (0.1 ms samples), for
 * Chrome DevTools or `speedscope`: which code a busy stretch was. The sampling costs this thread too: a profiled run's figures are for reading, not for judging.
 */
async function startProfile(): Promise<{ stop(): Promise<void> } | undefined> {
  const file = process.env.LAMBDA_BEHAVIOR_SCALE_PROFILE;
  if (!file) return undefined;
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** A GC entry's kind (perf_hooks' NODE_PERFORMANCE_GC_* flags). */
function gcKind(e: PerformanceEntry): string {
  const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
  return kind === 1 ? 'minor' : kind === 4 ? 'major' : kind === 8 ? 'incremental' : kind === 16 ? 'weak callbacks' : `kind ${kind}`;
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

function memory(): string {
  const m = process.memoryUsage();
  return `rss ${mib(m.rss)}, heap used ${mib(m.heapUsed)}, external ${mib(m.external)}`;
}

/** The figures, one line each, in the host console (and, through `title`, in the test titles the run prints). */
const figures: string[] = [];
function record(line: string): void {
  figures.push(line);
  console.log(`[scale] ${line}`);
}

/** Appends the figures to the running test's title, which the host run prints with the result. */
function title(ctx: Mocha.Context, text: string): void {
  if (ctx.test) ctx.test.title += ` [${text}]`;
}

/** The render the panel owes, or a clear failure after 60 s. */
function rendered(api: LambdaBehaviorApi, name: string): Promise<RenderedSummary> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the ${name} webview did not render within 60 s`)), 60_000);
  });
  return Promise.race([api.diffView.lastRendered(name), timeout]).finally(() => clearTimeout(timer));
}

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('Scale: 1,000 functions', function () {
  this.timeout(120_000);
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  let report: ScanReport;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-scale-'));
  const dir = path.join(scratch, 'scale-1000');
  let memoryBefore = '';
  /** The longest the event loop was kept busy at a stretch during the scan, its longest wait, and how they are told. */
  let scanDelay = { cpuMs: Infinity, busyMs: Infinity, waitMs: Infinity, text: '' };

  before(async function () {
    this.timeout(180_000);
    extension = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await api.restored;
    memoryBefore = memory();
    record(`extension host before: ${memoryBefore}`);

    // The generator's CLI in a child process: its own memory is not the extension host's.
    let t0 = process.hrtime.bigint();
    const out = await run(process.execPath, ['--import', 'tsx', 'src/gen/main.ts', ...GEN_ARGS, '--out', dir], extension.extensionPath);
    record(
      `generated in ${(ms(t0) / 1000).toFixed(1)} s: ${out
        .trim()
        .replace(/^wrote \S+: /, '')
        .replace(/; labels .*$/, '')}`,
    );

    // The view open, as a user watching the scan has it: the workbench fetches the new tree as soon as the report lands.
    await vscode.commands.executeCommand('lambdaBehavior.functions.focus');
    t0 = process.hrtime.bigint();
    assert.equal(await vscode.commands.executeCommand('lambdaBehavior.openScenario', dir), 'scenario scale-1000');
    const openMs = ms(t0);
    // A replay scan runs on a worker thread: the extension host's event loop (every other extension's) must never wait
    // long, from the command to the report shown, saved and turned into diagnostics.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const blocks = new BlockSampler();
    delay.enable();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the monitor's timer must be running before a block can be seen
    const profiling = await startProfile();
    t0 = process.hrtime.bigint();
    blocks.start();
    // Named moments in the timeline: the report set (the views' listeners have run), the trackers told.
    const marks = [api.session.onDidChange(() => blocks.mark('report set')), api.scanner.onDidScan(() => blocks.mark('onDidScan'))];
    const scanned = await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll');
    assert.ok(scanned, 'the scale scenario scans');
    report = scanned;
    const scanMs = ms(t0);
    blocks.mark('scanAll returned');
    t0 = process.hrtime.bigint();
    await api.session.saved;
    const savedMs = ms(t0);
    blocks.mark('saved');
    t0 = process.hrtime.bigint();
    await api.source.diagnostics.settled;
    const settledMs = ms(t0);
    blocks.mark('diagnostics settled');
    // The tree's refresh and the trackers' bookkeeping follow on their own turns: a moment for them too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    delay.disable();
    blocks.stop();
    await profiling?.stop();
    for (const m of marks) m.dispose();
    const maxDelayMs = delay.max / 1e6;
    const blocked = `event loop's thread on the CPU at most ${blocks.maxCpuMs.toFixed(0)} ms at a stretch, busy at most ${blocks.maxBusyMs.toFixed(0)} ms; its delay from the command to the report shown, saved and diagnosed (+500 ms): max ${maxDelayMs.toFixed(0)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms, mean ${(delay.mean / 1e6).toFixed(1)} ms`;
    // What the report store's save costs this thread on its own (it serializes the whole report in one call).
    const s0 = process.hrtime.bigint();
    JSON.stringify({ version: 1, report });
    const stringifyMs = ms(s0);
    const stats = report.stats;
    const stages = stats?.stageMs ?? {};
    const engineMs = Object.values(stages).reduce((a, b) => a + b, 0);
    record(
      `scan through the extension: openScenario ${openMs.toFixed(0)} ms, scanAll ${scanMs.toFixed(0)} ms (engine ${engineMs} ms: ${Object.entries(
        stages,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}) ` +
        `for ${report.functions.length} functions and ${stats?.flowRecords ?? '?'} flow records; saved ${savedMs.toFixed(0)} ms later, diagnostics settled ${settledMs.toFixed(0)} ms after that; ${blocked}`,
    );
    record(
      `event loop blocks over 20 ms (ms after the command): ${blocks.describe()}; JSON.stringify of the report alone: ${stringifyMs.toFixed(0)} ms`,
    );
    scanDelay = { cpuMs: blocks.maxCpuMs, busyMs: blocks.maxBusyMs, waitMs: maxDelayMs, text: `${blocked}; blocks: ${blocks.describe()}` };

    // The host's own steps after a scan, again without the scan, to tell which of them keeps the loop waiting.
    const again = new BlockSampler();
    again.start();
    t0 = process.hrtime.bigint();
    api.session.setReport(report);
    const setReportMs = ms(t0);
    again.mark('setReport returned');
    await api.session.saved;
    again.mark('saved');
    await api.source.diagnostics.settled;
    again.mark('diagnostics settled');
    await new Promise((resolve) => setTimeout(resolve, 300));
    again.mark('diagnostics alone');
    await api.source.diagnostics.refresh();
    again.mark('refreshed');
    again.stop();
    record(
      `the same report set again, without a scan: setReport (the tree's, diagnostics', panels' and code actions' listeners) ${setReportMs.toFixed(0)} ms, then blocks over 20 ms: ${again.describe()}`,
    );
    assert.equal(report.functions.length, FUNCTIONS);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    // The suites after this one (and the UI run in this profile) meet a first run: the demo open, nothing scanned or saved, nothing seen.
    api.session.connect(demoConnection(extension.extensionUri));
    await api.session.saved;
    await api.store.load(); // waits for pending saves
    fs.rmSync(api.store.file, { force: true });
    await api.tracker.forgetSeen();
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(`${dir}.labels.json`, { force: true });
    record(`extension host after: ${memory()} (before: ${memoryBefore})`);
    console.log(`[scale] summary:\n  ${figures.join('\n  ')}`);
  });

  it(`the extension host's thread never runs more than ${MAX_BLOCK_CPU_MS} ms at a stretch during the scan (it runs on a worker thread), nor is busy more than ${MAX_BLOCK_BUSY_MS} ms`, function () {
    // CPU: this thread's time on a core between two ticks of a 5 ms timer (this host's JavaScript and GC, every
    // extension's). Busy adds the moments it sat runnable while other processes held both cores; the longest wait (the
    // timer's delay) adds the moments the loop sat idle meanwhile. Both are reported; busy has a ceiling for any load.
    title(
      this,
      `CPU at most ${scanDelay.cpuMs.toFixed(0)} ms, busy at most ${scanDelay.busyMs.toFixed(0)} ms; longest wait ${scanDelay.waitMs.toFixed(0)} ms`,
    );
    assert.ok(scanDelay.cpuMs <= MAX_BLOCK_CPU_MS, `on the CPU ${scanDelay.cpuMs.toFixed(0)} ms at a stretch; ${scanDelay.text}`);
    assert.ok(scanDelay.busyMs <= MAX_BLOCK_BUSY_MS, `busy ${scanDelay.busyMs.toFixed(0)} ms at a stretch; ${scanDelay.text}`);
  });

  const functionNodes: FunctionsTreeNode[] = [];
  let allNodes: FunctionsTreeNode[] = [];

  it('the tree lists the functions with findings first, the others under one node in ranges of at most 100, the 1,000 in all, quickly', function () {
    const tree = api.functionsTree;
    const t0 = process.hrtime.bigint();
    const [root] = tree.getChildren();
    assert.equal(root?.kind, 'connection');
    const firstLevel = tree.getChildren(root);
    const elapsed = ms(t0);
    // The functions without findings under their node, in its ranges by name: every level the workbench would fetch.
    const lists: FunctionsTreeNode[] = [];
    const levels = [firstLevel.length];
    const walk = (nodes: FunctionsTreeNode[]): void => {
      for (const node of nodes) {
        if (node.kind === 'function') functionNodes.push(node);
        else if (node.kind === 'functions') {
          lists.push(node);
          const children = tree.getChildren(node);
          levels.push(children.length);
          walk(children);
        }
      }
    };
    walk(firstLevel);
    const withFindings = report.functions.filter((f) => f.findings.length > 0).length;
    record(
      `tree first level: getChildren(root) + getChildren(account) = ${firstLevel.length} nodes (${withFindings} functions with findings, then the ${FUNCTIONS - withFindings} without under ${lists.length} nodes of at most ${Math.max(...levels.slice(1))}) in ${elapsed.toFixed(1)} ms (ceiling ${CEILING.firstLevel})`,
    );
    title(this, `${firstLevel.length} on the first level, ${elapsed.toFixed(1)} ms`);
    assert.deepEqual(
      functionNodes.map((n) => n.kind === 'function' && n.fn.name),
      orderFunctions(report.functions).map((f) => f.name),
      "every function once, in the views' order",
    );
    assert.equal(
      firstLevel.filter((n) => n.kind === 'function').length,
      withFindings,
      'the functions with findings are on the first level',
    );
    assert.ok(levels[0]! <= withFindings + 1, `the first level holds ${levels[0]} items for ${withFindings} functions with findings`);
    assert.ok(Math.max(0, ...levels.slice(1)) <= 100, `the levels below hold ${levels.slice(1).join(', ')} items`);
    assert.ok(elapsed < CEILING.firstLevel, `${elapsed.toFixed(0)} ms`);
    allNodes = [root, ...lists, ...functionNodes];
  });

  it('expands every function and every group, and builds every tree item, quickly', function () {
    const tree = api.functionsTree;
    let t0 = process.hrtime.bigint();
    let groups = 0;
    let leaves = 0;
    for (const fnNode of functionNodes) {
      for (const group of tree.getChildren(fnNode)) {
        const children = tree.getChildren(group);
        groups++;
        leaves += children.length;
        allNodes.push(group, ...children);
      }
    }
    const expand = ms(t0);
    record(
      `tree expand all: getChildren of ${functionNodes.length} functions and ${groups} groups (${leaves} leaves) in ${expand.toFixed(1)} ms (ceiling ${CEILING.expandAll})`,
    );

    t0 = process.hrtime.bigint();
    const ids = new Set<string>();
    for (const node of allNodes) ids.add(tree.getTreeItem(node).id!);
    const items = ms(t0);
    // Again, by kind: which nodes cost what (the first pass above also warms the code up).
    const byKind = new Map<string, { n: number; ms: number }>();
    for (const node of allNodes) {
      const k0 = process.hrtime.bigint();
      tree.getTreeItem(node);
      const e = byKind.get(node.kind) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += ms(k0);
      byKind.set(node.kind, e);
    }
    const perKind = [...byKind].map(([k, e]) => `${k} ${e.n} × ${((e.ms / e.n) * 1000).toFixed(0)} µs`).join(', ');
    record(
      `tree items: getTreeItem for all ${allNodes.length} nodes in ${items.toFixed(1)} ms (ceiling ${CEILING.treeItems}); second pass by kind: ${perKind}`,
    );
    title(this, `${allNodes.length} nodes: expand ${expand.toFixed(0)} ms, items ${items.toFixed(0)} ms`);
    assert.equal(ids.size, allNodes.length, 'every node has its own id');

    t0 = process.hrtime.bigint();
    for (const node of functionNodes.slice(0, 3)) assert.equal(tree.getParent(node)?.kind, 'connection');
    record(`tree getParent of a function: ${(ms(t0) / 3).toFixed(2)} ms each`);
    // The last function (no findings, last by name): its range, the node of functions without findings, the account.
    const chain: string[] = [];
    for (let node = tree.getParent(functionNodes[functionNodes.length - 1]!); node; node = tree.getParent(node)) chain.push(node.id);
    const account = `${report.accountId}/${report.region}`;
    const clean = report.functions.filter((f) => f.findings.length === 0).length;
    const lastRange = Math.ceil(clean / 100) - 1;
    assert.ok(clean > 100, `this account has ${clean} functions without findings: more than one range`);
    assert.deepEqual(
      chain,
      [`functions/${account}/clean/${lastRange}`, `functions/${account}/clean`, `connection/${account}`],
      'the last function is found through its range',
    );
    assert.ok(expand < CEILING.expandAll, `expand ${expand.toFixed(0)} ms`);
    assert.ok(items < CEILING.treeItems, `items ${items.toFixed(0)} ms`);
  });

  it('resolves tooltips for a sample of nodes of every kind quickly', function () {
    const tree = api.functionsTree;
    // Every 10th node, plus every node of the largest function: the hover path of any row.
    const largest = largestFunction(report.functions);
    const sample = allNodes.filter((n, i) => i % 10 === 0 || ('fn' in n && n.fn.name === largest.name));
    const t0 = process.hrtime.bigint();
    let withTooltip = 0;
    for (const node of sample) if (tree.resolveTreeItem(tree.getTreeItem(node), node).tooltip !== undefined) withTooltip++;
    const elapsed = ms(t0);
    const kinds = [...new Set(sample.map((n) => n.kind))].sort().join(', ');
    record(
      `tree tooltips: resolveTreeItem for ${sample.length} nodes (${kinds}) in ${elapsed.toFixed(1)} ms (ceiling ${CEILING.resolveSample})`,
    );
    title(this, `${sample.length} nodes in ${elapsed.toFixed(0)} ms`);
    assert.ok(withTooltip > sample.length / 2, `${withTooltip} of ${sample.length} have a tooltip`);
    assert.ok(elapsed < CEILING.resolveSample, `${elapsed.toFixed(0)} ms`);
  });

  it('the real tree view reveals the last function with its groups expanded', async function () {
    await vscode.commands.executeCommand('lambdaBehavior.functions.focus');
    const last = functionNodes[functionNodes.length - 1]!;
    const t0 = process.hrtime.bigint();
    await api.view.reveal(last, { select: true, focus: false, expand: true });
    const elapsed = ms(t0);
    record(
      `tree view: reveal(last of ${functionNodes.length} functions, expand) in the workbench in ${elapsed.toFixed(0)} ms (ceiling ${CEILING.revealInView})`,
    );
    title(this, `${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < CEILING.revealInView, `${elapsed.toFixed(0)} ms`);
  });

  it('"Scan function" builds its quick pick of 1,000 functions quickly', function () {
    const runs: number[] = [];
    let picks = functionPicks(report.functions);
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      picks = functionPicks(report.functions);
      runs.push(ms(t0));
    }
    const best = Math.min(...runs);
    const first = runs[0]!;
    record(
      `quick pick: functionPicks for ${picks.length} functions in ${best.toFixed(1)} ms best of 5 (first ${first.toFixed(1)} ms; ceiling ${CEILING.quickPickItems})`,
    );
    title(this, `${best.toFixed(1)} ms, first ${first.toFixed(1)} ms`);
    assert.equal(picks.length, FUNCTIONS);
    assert.equal(new Set(picks.map((p) => p.fn.name)).size, FUNCTIONS);
    assert.ok(Math.max(...runs) < CEILING.quickPickItems, `${Math.max(...runs).toFixed(0)} ms`);
  });

  it('renders the behaviour diff of the largest function in its webview quickly, and again after a new "Show"', async function () {
    const fn = largestFunction(report.functions);
    const resolver = api.source.resolver;
    const original = resolver.prompt;
    // A generated function has no source in this workspace: "where is it?" must not wait for a person.
    resolver.prompt = { pick: async () => undefined };
    try {
      const t0 = process.hrtime.bigint();
      const panel = await vscode.commands.executeCommand<vscode.WebviewPanel | undefined>('lambdaBehavior.showDiff', fn.name);
      assert.ok(panel, 'showDiff returns its panel');
      const opened = ms(t0);
      const summary = await rendered(api, fn.name);
      const elapsed = ms(t0);
      // The same panel again: the host builds the view and posts it, the page renders it (no webview start-up).
      const t1 = process.hrtime.bigint();
      await vscode.commands.executeCommand('lambdaBehavior.showDiff', fn.name);
      const again = await rendered(api, fn.name);
      const againMs = ms(t1);
      // The host's share: the view model for this function, built from the 1,000-function report.
      const t2 = process.hrtime.bigint();
      for (let i = 0; i < 10; i++) buildDiffViewModel(report, fn, { found: false });
      const modelMs = ms(t2) / 10;
      const rows = fn.peers.length + fn.apiCalls.length;
      record(
        `diff webview: ${fn.name} (${fn.peers.length} peers, ${fn.apiCalls.length} API calls, ${fn.enis.length} ENIs, ${fn.findings.length} findings) ` +
          `rendered ${summary.rows.length} rows in ${elapsed.toFixed(0)} ms from the command (the command returned after ${opened.toFixed(0)} ms; ceiling ${CEILING.diffRender}); ` +
          `a second "Show" on the open panel rendered in ${againMs.toFixed(0)} ms; the view model takes ${modelMs.toFixed(2)} ms`,
      );
      title(this, `first ${elapsed.toFixed(0)} ms, again ${againMs.toFixed(0)} ms`);
      assert.equal(summary.state, 'diff');
      assert.equal(summary.functionName, fn.name);
      assert.ok(summary.rows.length >= rows, `${summary.rows.length} rows for ${rows} peers and calls`);
      assert.ok(again.seq > summary.seq, 'the second render is a new one');
      assert.ok(elapsed < CEILING.diffRender, `${elapsed.toFixed(0)} ms`);
      assert.ok(againMs < CEILING.diffRender, `${againMs.toFixed(0)} ms`);
    } finally {
      resolver.prompt = original;
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  it('renders a synthetic function with 1,000 peers and 200 API calls (the largest generated one, inflated) in its webview, in time linear in its rows', async function () {
    // The scale cast's functions are small (the largest has a few dozen rows): this one stands for a chatty function.
    const original = api.session.report!;
    const name = largestFunction(original.functions).name;
    /** The report with that function's peers and API calls copied up to these counts (new addresses, new call names). */
    const inflated = (peerCount: number, callCount: number) => {
      const copy = structuredClone(original);
      const fn = copy.functions.find((f) => f.name === name)!;
      const { peers, apiCalls } = fn;
      fn.peers = Array.from({ length: peerCount }, (_, i) => ({
        ...peers[i % peers.length]!,
        address: `10.${200 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
        port: 443 + (i % 7),
      }));
      fn.apiCalls = Array.from({ length: callCount }, (_, i) => ({
        ...apiCalls[i % apiCalls.length]!,
        eventName: `${apiCalls[i % apiCalls.length]!.eventName}${i}`,
      }));
      return { copy, fn };
    };
    const resolver = api.source.resolver;
    const prompt = resolver.prompt;
    resolver.prompt = { pick: async () => undefined };
    try {
      const small = inflated(250, 50);
      api.session.setReport(small.copy);
      let t0 = process.hrtime.bigint();
      await vscode.commands.executeCommand('lambdaBehavior.showDiff', name);
      const opened = await rendered(api, name);
      const openMs = ms(t0);
      assert.equal(opened.rows.length, 300);
      // Each size rendered on the open panel (no webview start-up): the session changes, the panel posts, the page renders.
      const perRow: string[] = [];
      const renders: Array<{ rows: number; ms: number }> = [];
      for (const [peers, calls] of [
        [250, 50],
        [1000, 200],
      ] as const) {
        const next = inflated(peers, calls);
        t0 = process.hrtime.bigint();
        api.session.setReport(next.copy);
        const summary = await rendered(api, name);
        const elapsed = ms(t0);
        assert.equal(summary.rows.length, peers + calls);
        const m0 = process.hrtime.bigint();
        for (let i = 0; i < 10; i++) buildDiffViewModel(next.copy, next.fn, { found: false });
        const modelMs = ms(m0) / 10;
        renders.push({ rows: peers + calls, ms: elapsed });
        perRow.push(
          `${peers + calls} rows ${elapsed.toFixed(0)} ms (${((elapsed / (peers + calls)) * 1000).toFixed(0)} µs a row; view model ${modelMs.toFixed(1)} ms)`,
        );
      }
      record(
        `diff webview, synthetic ${name}: opened with 300 rows in ${openMs.toFixed(0)} ms from the command; re-rendered on the open panel: ${perRow.join(', ')} (ceiling ${CEILING.diffRender})`,
      );
      title(this, `open ${openMs.toFixed(0)} ms; ${renders.map((r) => `${r.rows} rows ${r.ms.toFixed(0)} ms`).join(', ')}`);
      const [few, many] = renders;
      assert.ok(many!.ms < CEILING.diffRender, `${many!.ms.toFixed(0)} ms`);
      // 4x the rows in well under 16x the time: no quadratic step (generous: the small render is short and noisy).
      assert.ok(
        many!.ms < 12 * Math.max(few!.ms, 100),
        `${few!.rows} rows ${few!.ms.toFixed(0)} ms, ${many!.rows} rows ${many!.ms.toFixed(0)} ms`,
      );
    } finally {
      resolver.prompt = prompt;
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      api.session.setReport(original);
      await api.session.saved;
    }
  });
});

/** The function with the most rows in its diff (peers and API calls), then the most findings. */
function largestFunction(functions: readonly FunctionReport[]): FunctionReport {
  const size = (f: FunctionReport) => f.peers.length + f.apiCalls.length;
  return functions.reduce((a, b) => (size(b) > size(a) || (size(b) === size(a) && b.findings.length > a.findings.length) ? b : a));
}
