// ReportStore: the saved scan's JSON built and encoded over event-loop turns, still written in call order, a superseded save skipped; the ENI history saved on a turn of its own.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type * as vscode from 'vscode';
import type { ScanReport } from '../../src/core/model';
import { ReportStore, type SavedScan } from '../../src/extension/report-store';
import { savedScanBytes } from '../../src/node/report-json';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-store-save-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const warnings: string[] = [];
const log = { warn: (m: string) => warnings.push(m), info: () => undefined } as unknown as vscode.LogOutputChannel;

function scan(mark: string, functions: number): SavedScan {
  const report: ScanReport = {
    formatVersion: 1,
    accountId: '123456789012',
    region: 'us-east-1',
    window: { baselineStart: 'a', baselineEnd: 'b', detectStart: 'c', detectEnd: 'd' },
    warnings: [mark],
    functions: Array.from({ length: functions }, (_, i) => ({
      name: `${mark}-${i}`,
      arn: `arn:aws:lambda:us-east-1:123456789012:function:${mark}-${i}`,
      inVpc: false,
      enis: [],
      peers: [],
      apiCalls: [],
      findings: [],
      coverage: { network: 'x'.repeat(2000), cloudtrail: mark, metrics: mark },
    })),
  } as unknown as ScanReport;
  return { connection: { kind: 'scenario', label: mark, spec: { kind: 'scenario', dir: '/x' } }, scannedAt: 7, report };
}

test('saves in call order: the last save is the file, a save superseded before its turn writes nothing', async () => {
  const store = new ReportStore({ fsPath: path.join(dir, 'order') } as vscode.Uri, log);
  const writes: string[] = [];
  const watch = (p: Promise<void>, mark: string) =>
    p.then(() =>
      writes.push(`${mark}:${fs.existsSync(store.file) ? JSON.parse(fs.readFileSync(store.file, 'utf8')).connection.label : '-'}`),
    );
  const first = watch(store.save(scan('first', 300)), 'first');
  // All three queued before the first's turn: the first two are superseded by the third, and each settles once it is written.
  const second = watch(store.save(scan('second', 300)), 'second');
  const third = watch(store.save(scan('third', 300)), 'third');
  await Promise.all([first, second, third]);
  assert.deepEqual(writes, ['first:third', 'second:third', 'third:third']);
  const loaded = await store.load();
  assert.equal(loaded?.connection.label, 'third');
  assert.deepEqual(loaded?.report, scan('third', 300).report);
  assert.deepEqual(warnings, []);
});

test("a large report's save never holds the event loop for long", async () => {
  const store = new ReportStore({ fsPath: path.join(dir, 'large') } as vscode.Uri, log);
  const big = scan('big', 2000); // ~5 MB of JSON
  const t0 = performance.now();
  JSON.stringify(big);
  const whole = performance.now() - t0;
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  await store.save(big);
  clearInterval(timer);
  assert.equal((await store.load())?.report.functions.length, 2000);
  // Against one JSON.stringify of the same scan on this machine: the save's longest turn is a fraction of it (plus timer slack).
  assert.ok(longest < whole / 2 + 15, `longest turn ${longest.toFixed(1)} ms, one JSON.stringify ${whole.toFixed(1)} ms`);
});

test('savedScanBytes: the same UTF-8 bytes for every batch size, non-ASCII text included', async () => {
  const body = { version: 1, ...scan('bytes-é-😀', 7) };
  const bytesOf = async (b: { report: ScanReport }, perTurn?: number) => Buffer.concat(await savedScanBytes(b, perTurn));
  const whole = await bytesOf(body, 1000);
  for (const perTurn of [1, 3, 7, 50]) {
    const bytes = await bytesOf(body, perTurn);
    assert.ok(bytes.equals(whole), `${perTurn} functions a turn`);
    assert.deepEqual(JSON.parse(bytes.toString('utf8')), JSON.parse(JSON.stringify(body)));
  }
  const none = { report: { ...scan('none', 0).report } };
  assert.deepEqual(JSON.parse((await bytesOf(none)).toString('utf8')), JSON.parse(JSON.stringify(none)));
});

test('the ENI history is saved and read back', async () => {
  const store = new ReportStore({ fsPath: path.join(dir, 'history') } as vscode.Uri, log);
  const history = { version: 1, enis: [{ id: 'eni-1' }] } as unknown as Parameters<ReportStore['saveHistory']>[1];
  await store.saveHistory('account-a', history);
  assert.deepEqual(await store.loadHistory('account-a'), history);
  assert.equal(await store.loadHistory('account-b'), undefined);
});
