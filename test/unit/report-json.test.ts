// The saved scan's JSON built across event-loop turns reads back as the one JSON.stringify gives, and lets other work run between its batches.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ScanReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { rememberFunctionsJson, savedScanBytes } from '../../src/node/report-json';
import { openScenario } from '../../src/replay/scenario';

/** The saved scan's text, as the store writes it (its pieces one after another). */
const savedScanJson = async (body: { report: ScanReport }, perTurn?: number) =>
  Buffer.concat(await savedScanBytes(body, perTurn)).toString('utf8');

const DEMO = path.resolve(__dirname, '..', '..', 'media', 'demo');

async function demoReport(): Promise<ScanReport> {
  return scan(openScenario(DEMO, 'demo account', { flowThreads: { threads: 1 } }));
}

test('reads back as JSON.stringify of the saved scan, for every batch size', async () => {
  const report = await demoReport();
  const body = { version: 1, connection: { kind: 'demo', label: 'demo account', spec: { kind: 'demo' } }, scannedAt: 5, report };
  const expected = JSON.parse(JSON.stringify(body)) as unknown;
  for (const perTurn of [1, 2, 3, report.functions.length, 1000])
    assert.deepEqual(JSON.parse(await savedScanJson(body, perTurn)), expected);
  assert.deepEqual(
    JSON.parse(await savedScanJson({ report: { ...report, functions: [] } })),
    JSON.parse(JSON.stringify({ report: { ...report, functions: [] } })),
  );
});

test('a large report is built over many turns, other work running between them', async () => {
  const report = await demoReport();
  const functions = Array.from({ length: 1000 }, (_, i) => ({ ...report.functions[i % report.functions.length]!, name: `fn-${i}` }));
  const big = { report: { ...report, functions } };
  let turns = 0;
  let counting = true;
  const tick = () => {
    if (!counting) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const text = await savedScanJson(big, 50);
  counting = false;
  assert.ok(turns >= 20, `${turns} turns of other work ran while 1,000 functions were serialized 50 at a time`);
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(big)));
});

test('a report whose functions JSON is at hand is saved from those bytes, not serialized again', async () => {
  const report = await demoReport();
  const body = { version: 1, scannedAt: 7, report };
  const encode = (fns: unknown[]) => new TextEncoder().encode(JSON.stringify(fns));
  const arrays = [encode(report.functions.slice(0, 2)), encode([]), encode(report.functions.slice(2))];
  rememberFunctionsJson(report, arrays);
  const pieces = await savedScanBytes(body);
  assert.deepEqual(JSON.parse(Buffer.concat(pieces).toString('utf8')), JSON.parse(JSON.stringify(body)));
  // The functions' pieces are views on the arrays given (their elements, brackets dropped), not copies.
  const views = pieces.filter((p) => arrays.some((a) => p.buffer === a.buffer));
  assert.equal(views.length, 2, 'one view on each non-empty array');
  assert.equal(Buffer.from(views[0]!).toString('utf8'), JSON.stringify(report.functions.slice(0, 2)).slice(1, -1));

  // Bytes that are not the report's functions show that they, and nothing else, are written.
  const other = { ...report };
  rememberFunctionsJson(other, [encode([{ name: 'only-this' }])]);
  const saved = JSON.parse(Buffer.concat(await savedScanBytes({ report: other })).toString('utf8')) as { report: ScanReport };
  assert.deepEqual(saved.report.functions, [{ name: 'only-this' }]);
  // A report given other functions since (Session replaces them) is serialized from its own functions.
  const replaced = { ...report, functions: report.functions.slice(1) };
  assert.deepEqual(JSON.parse(await savedScanJson({ report: replaced })), JSON.parse(JSON.stringify({ report: replaced })));
});
