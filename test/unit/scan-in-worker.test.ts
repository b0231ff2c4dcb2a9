// A replay scan on a worker thread gives the in-process scan's report, history, progress and logs; cancelling terminates it; a crash is an error naming the scenario, never a hang.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { EniHistory } from '../../src/core/inventory/history';
import type { ScanReport } from '../../src/core/model';
import { InputError } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { savedScanBytes } from '../../src/node/report-json';
import { listFunctionsInWorker, liveScanWorkers, scanInWorker } from '../../src/node/scan-in-worker';
import { openScenario } from '../../src/replay/scenario';

const DEMO = path.resolve(__dirname, '..', '..', 'media', 'demo');
const OPTIONS = { baselineDays: 14, detectHours: 24 };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-in-worker-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** The report without what the clock stamps (the scan's time and its stages' durations). */
function unstamped(report: ScanReport): unknown {
  const copy = JSON.parse(JSON.stringify(report)) as ScanReport & { generatedAt?: unknown };
  delete copy.generatedAt;
  if (copy.stats) {
    delete (copy.stats as { durationMs?: unknown }).durationMs;
    delete (copy.stats as { stageMs?: unknown }).stageMs;
  }
  return copy;
}

async function noWorkerLeft(): Promise<void> {
  for (let i = 0; i < 100 && liveScanWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(liveScanWorkers(), 0, 'a scan worker is still running');
}

describe('replay scan on a worker thread', () => {
  test('gives the report, ENI history, progress and logs of the same scan in this thread (the demo account)', async () => {
    const hereProgress: string[] = [];
    const hereLogs: string[] = [];
    const hereHistory = new EniHistory();
    const here = await scan(openScenario(DEMO, 'demo account', { flowThreads: { threads: 1 } }), {
      ...OPTIONS,
      history: hereHistory,
      onProgress: (m) => hereProgress.push(m),
      logger: { info: (m) => hereLogs.push(`info ${m}`), warn: (m) => hereLogs.push(`warn ${m}`) },
    });

    const progress: string[] = [];
    const logs: string[] = [];
    const priority = os.getPriority();
    // Small batches: the report crosses in several pieces, assembled in order.
    const { report, history } = await scanInWorker(
      { dir: DEMO, label: 'demo account', flowThreads: 1, options: OPTIONS, batchChars: 2_000 },
      {
        onProgress: (m) => progress.push(m),
        logger: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) },
      },
    );
    assert.ok(report.functions.length > 3, `${report.functions.length} functions`);
    assert.ok(
      report.functions.some((f) => f.findings.length > 0),
      'the demo has findings',
    );
    assert.deepEqual(unstamped(report), unstamped(here));
    assert.deepEqual(
      report.functions.map((f) => f.name),
      here.functions.map((f) => f.name),
    );
    assert.deepEqual(history, hereHistory.toJSON());
    assert.deepEqual(progress, hereProgress);
    assert.ok(progress.length >= 5, progress.join(', '));
    // The final line carries the scan's duration: the lines' text up to it.
    const strip = (lines: string[]) => lines.map((l) => l.replace(/ in \d+ ms$/, ''));
    assert.deepEqual(strip(logs), strip(hereLogs));
    // The worker lowers its own thread's priority, never this one's (the extension host's).
    assert.equal(os.getPriority(), priority);
    // Saving it writes the function JSON the worker sent (no serialization on this thread): the same JSON.
    const body = { version: 1, scannedAt: 1, report };
    const pieces = await savedScanBytes(body);
    assert.ok(pieces.length > 4, `${pieces.length} pieces: the head, the batches' elements with commas between, the tail`);
    assert.deepEqual(JSON.parse(Buffer.concat(pieces).toString('utf8')), JSON.parse(JSON.stringify(body)));
    await noWorkerLeft();
  });

  test('keeps the ENI history it is given and adds this scan to it', async () => {
    // A span of an ENI deleted long ago, at an address the demo does not use: only the given history knows it.
    const first = await scanInWorker({ dir: DEMO, label: 'demo account', flowThreads: 1, options: OPTIONS });
    const old = { ...first.history.spans[0]!, address: '10.99.99.99', eniId: 'eni-gone', from: 1_000, to: 2_000 };
    const given = { formatVersion: 1 as const, spans: [old] };
    const { history } = await scanInWorker({ dir: DEMO, label: 'demo account', flowThreads: 1, options: OPTIONS, history: given });
    const here = EniHistory.fromJSON(given);
    await scan(openScenario(DEMO, 'demo account', { flowThreads: { threads: 1 } }), { ...OPTIONS, history: here });
    assert.deepEqual(history, here.toJSON());
    assert.ok(history.spans.some((s) => s.eniId === 'eni-gone'));
    assert.equal(history.spans.length, first.history.spans.length + 1);
    await noWorkerLeft();
  });

  test("lists the account's functions on a worker thread, as the source in this thread does", async () => {
    const here = await openScenario(DEMO, 'demo account').listFunctions(new AbortController().signal);
    const functions = await listFunctionsInWorker({ dir: DEMO, label: 'demo account' });
    assert.ok(functions.length > 3);
    assert.deepEqual(functions, here);
    await noWorkerLeft();
  });

  test('cancelling terminates the worker and rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('the user cancelled');
    const progress: string[] = [];
    const scanning = scanInWorker(
      { dir: DEMO, label: 'demo account', flowThreads: 1, options: OPTIONS },
      {
        signal: controller.signal,
        // Mid-scan: the first stage has begun in the worker.
        onProgress: (m) => {
          progress.push(m);
          if (progress.length === 1) controller.abort(reason);
        },
      },
    );
    await assert.rejects(scanning, (err) => err === reason);
    assert.equal(progress.length, 1, progress.join(', '));
    await noWorkerLeft();
  });

  test('an already cancelled scan starts no worker', async () => {
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await assert.rejects(scanInWorker({ dir: DEMO, label: 'demo account', options: OPTIONS }, { signal: controller.signal }), /too late/);
    assert.equal(liveScanWorkers(), 0);
  });

  test('a bad scenario is the InputError the in-process scan gives, naming the file', async () => {
    const dir = path.join(root, 'not-a-scenario');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'scenario.json'), '{"formatVersion": 2}');
    await assert.rejects(scanInWorker({ dir, label: 'broken', options: OPTIONS }), (err: Error) => {
      assert.ok(err instanceof InputError, `${err.name}: ${err.message}`);
      assert.ok(err.message.includes(path.join(dir, 'scenario.json')), err.message);
      return true;
    });
    await noWorkerLeft();
  });

  for (const [kind, script] of [
    ['throws', 'throw new Error("boom");'],
    ['exits', 'process.exit(3);'],
    ['exits cleanly without a report', ''],
    ['never answers and dies', 'setTimeout(() => process.exit(7), 200);'],
  ] as const) {
    test(`a worker that ${kind} is an error naming the scenario, not a hang`, async () => {
      const crashing = path.join(root, `crash-${kind.replace(/ /g, '-')}.js`);
      fs.writeFileSync(crashing, script);
      await assert.rejects(
        scanInWorker({ dir: DEMO, label: 'demo account', options: OPTIONS }, { workerScript: crashing }),
        (err: Error) => {
          assert.ok(err.message.startsWith(`${DEMO}: `), err.message);
          assert.match(err.message, /worker thread (crashed: boom|stopped \(exit code \d+\) before it answered)/);
          return true;
        },
      );
      await noWorkerLeft();
    });
  }
});
