// Saved state under two VS Code windows at once: two Node processes, each with its own ReportStore on one folder, saving and loading.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type * as vscode from 'vscode';
import type { ScanReport } from '../../src/core/model';
import { ReportStore, type SavedScan } from '../../src/extension/report-store';
import { childJson } from '../support/child-json';

const FUNCTIONS = 300; // ~150 KB a scan: far more than one write() the OS might do at once
const ACCOUNT = 'profile dev/us-east-1';

/** The log the store writes to, as a LogOutputChannel would receive it. */
function recordingLog(): vscode.LogOutputChannel & { warnings: string[] } {
  const warnings: string[] = [];
  const noop = () => undefined;
  return {
    warnings,
    warn: (m: string) => warnings.push(m),
    info: noop,
    error: noop,
    debug: noop,
    trace: noop,
    appendLine: noop,
  } as unknown as vscode.LogOutputChannel & { warnings: string[] };
}

const uri = (dir: string) => ({ fsPath: dir }) as vscode.Uri;

/** A scan whose every function carries the same mark, so a load can tell a whole scan from a mixed or cut one. */
function markedScan(mark: string, n = FUNCTIONS): SavedScan {
  const report: ScanReport = {
    formatVersion: 1,
    accountId: '123456789012',
    region: 'us-east-1',
    window: {
      baselineStart: '2026-11-08T00:00:00Z',
      baselineEnd: '2026-11-22T00:00:00Z',
      detectStart: '2026-11-22T00:00:00Z',
      detectEnd: '2026-11-23T00:00:00Z',
    },
    warnings: [mark],
    functions: Array.from({ length: n }, (_, i) => ({
      name: `${mark}-fn-${i}`,
      arn: `arn:aws:lambda:us-east-1:123456789012:function:${mark}-fn-${i}`,
      inVpc: false,
      enis: [],
      peers: [],
      apiCalls: [],
      findings: [
        {
          id: `new-api-call:${i}`,
          kind: 'new-api-call',
          subject: 's3.amazonaws.com:ListBuckets',
          severity: 'high',
          attribution: 'exact',
          title: mark,
          detail: 'x'.repeat(300),
          evidence: {},
        },
      ],
      coverage: { network: mark, cloudtrail: mark, metrics: mark },
    })),
  };
  return {
    connection: { kind: 'profile', label: `${mark} ${n}`, spec: { kind: 'profile', profile: 'dev', region: 'us-east-1' } },
    scannedAt: 1,
    report,
  };
}

/** Whole: every function has the scan's own mark, and as many as its label says. */
function assertWhole(scan: SavedScan): string {
  const [mark, count] = scan.connection.label.split(' ');
  assert.equal(scan.report.functions.length, Number(count), `${mark}: ${scan.report.functions.length} of ${count} functions`);
  assert.deepEqual(scan.report.warnings, [mark]);
  scan.report.functions.forEach((f, i) => assert.equal(f.name, `${mark}-fn-${i}`, `a function of another scan inside ${mark}`));
  return mark;
}

function history(mark: string) {
  return {
    formatVersion: 1,
    mark,
    spans: Array.from({ length: 200 }, (_, i) => ({ address: `10.0.${i >> 8}.${i & 255}`, eniId: `eni-${mark}-${i}`, from: i, to: i + 1 })),
  } as unknown as Parameters<ReportStore['saveHistory']>[1];
}

// ------------------------------------------------------------------ the worker: one "window"

async function worker(dir: string, id: string, rounds: number): Promise<void> {
  const log = recordingLog();
  const store = new ReportStore(uri(dir), log);
  const seen = { loads: 0, whole: 0, empty: 0, own: 0, other: 0, histories: 0 };
  for (let i = 0; i < rounds; i++) {
    const mark = `${id}.${i}`;
    // Saves are not awaited one by one: a window saves the scan and the history together, then loads.
    const saving = Promise.all([store.save(markedScan(mark)), store.saveHistory(ACCOUNT, history(mark))]);
    if (i % 3 === 0) await saving;
    const loaded = await store.load();
    seen.loads++;
    if (!loaded) seen.empty++;
    else {
      const m = assertWhole(loaded);
      seen.whole++;
      if (m.startsWith(`${id}.`)) seen.own++;
      else seen.other++;
    }
    const h = (await store.loadHistory(ACCOUNT)) as unknown as { mark: string; spans: Array<{ eniId: string }> } | undefined;
    if (h) {
      assert.equal(h.spans.length, 200);
      assert.ok(
        h.spans.every((s) => s.eniId.startsWith(`eni-${h.mark}-`)),
        `a mixed history ${h.mark}`,
      );
      seen.histories++;
    }
    await saving;
  }
  process.stdout.write(JSON.stringify({ ...seen, warnings: log.warnings }) + '\n');
}

if (process.env.LB_STORE_WORKER) {
  const [dir, id, rounds] = process.env.LB_STORE_WORKER.split('|');
  worker(dir, id, Number(rounds)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-store-'));
  after(() => fs.rmSync(temp, { recursive: true, force: true }));
  let serial = 0;
  const freshDir = () => {
    const d = path.join(temp, `w${++serial}`);
    fs.mkdirSync(d);
    return d;
  };

  function window(
    dir: string,
    id: string,
    rounds: number,
  ): Promise<{ loads: number; whole: number; empty: number; own: number; other: number; histories: number; warnings: string[] }> {
    return childJson(__filename, { LB_STORE_WORKER: `${dir}|${id}|${rounds}` }, `window ${id}`);
  }

  const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.includes('.corrupt-'));

  describe('ReportStore: two windows at once', () => {
    test(
      'saving and loading 150 times each, at once: every load is a whole scan, nothing is moved aside, no temp file stays',
      { timeout: 240_000 },
      async () => {
        const dir = freshDir();
        const [a, b] = await Promise.all([window(dir, 'A', 150), window(dir, 'B', 150)]);
        for (const [id, w] of [
          ['A', a],
          ['B', b],
        ] as const) {
          assert.deepEqual(w.warnings, [], `window ${id} warned: ${w.warnings.join('\n')}`);
          assert.equal(w.loads, 150);
          assert.equal(w.empty, 0, `window ${id} found no scan after saving one`);
          assert.equal(w.whole, 150);
          assert.equal(w.histories, 150);
        }
        // They did overlap: each window loaded the other's scan at least once.
        assert.ok(a.other + b.other > 0, `no overlap seen (A ${JSON.stringify(a)}, B ${JSON.stringify(b)})`);
        assert.deepEqual(leftovers(dir), []);
        const files = fs.readdirSync(dir).sort();
        assert.equal(files.length, 2, files.join(', '));
        // The file left is whole, and one of the two windows' last scans.
        const last = await new ReportStore(uri(dir), recordingLog()).load();
        assert.ok(last);
        assert.match(assertWhole(last), /^[AB]\.149$/);
      },
    );
  });

  describe('ReportStore: a corrupt file', () => {
    for (const [what, text] of [
      ['cut short', JSON.stringify({ version: 1, ...markedScan('x', 3) }).slice(0, 500)],
      ['not JSON', '\x00\xff garbage'],
      ['the wrong shape', '{"version":1,"connection":{},"report":[]}'],
      ['empty', ''],
    ] as const) {
      test(`${what}: moved aside with a warning, the next save rebuilds it`, async () => {
        const dir = freshDir();
        const log = recordingLog();
        const store = new ReportStore(uri(dir), log);
        fs.writeFileSync(store.file, text);
        assert.equal(await store.load(), undefined);
        assert.equal(log.warnings.length, 1);
        assert.match(log.warnings[0], /last-scan\.json is unreadable .*moved it to .*last-scan\.json\.corrupt-/);
        const aside = fs.readdirSync(dir).filter((f) => f.includes('.corrupt-'));
        assert.equal(aside.length, 1);
        assert.equal(fs.readFileSync(path.join(dir, aside[0]), 'utf8'), text, 'the corrupt file is kept for inspection, unchanged');
        assert.equal(fs.existsSync(store.file), false);
        await store.save(markedScan('rebuilt', 5));
        const again = await store.load();
        assert.ok(again);
        assert.equal(assertWhole(again), 'rebuilt');
        assert.equal(log.warnings.length, 1);
        assert.deepEqual(
          fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
          [],
        );
      });
    }

    test('a corrupt ENI history: moved aside, rebuilt on the next save', async () => {
      const dir = freshDir();
      const log = recordingLog();
      const store = new ReportStore(uri(dir), log);
      fs.writeFileSync(store.historyFile(ACCOUNT), '{"version":1,"accountKey":"someone else","history":{}}');
      assert.equal(await store.loadHistory(ACCOUNT), undefined);
      assert.equal(log.warnings.length, 1);
      await store.saveHistory(ACCOUNT, history('h'));
      assert.equal(((await store.loadHistory(ACCOUNT)) as unknown as { mark: string }).mark, 'h');
    });

    test('a second corrupt file does not replace the first one kept aside', async () => {
      const dir = freshDir();
      const store = new ReportStore(uri(dir), recordingLog(), () => Date.UTC(2026, 10, 23));
      for (const text of ['one', 'two']) {
        fs.writeFileSync(store.file, text);
        await store.load();
      }
      const aside = fs
        .readdirSync(dir)
        .filter((f) => f.includes('.corrupt-'))
        .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
        .sort();
      assert.deepEqual(aside, ['one', 'two']);
    });

    test('a failed write leaves the previous scan and no temp file', async () => {
      const dir = freshDir();
      const log = recordingLog();
      const store = new ReportStore(uri(dir), log);
      await store.save(markedScan('good', 4));
      // A directory where the temp file would go makes the write fail (EISDIR), as a full disk would.
      const blockers = Array.from({ length: 5 }, (_, i) => `${store.file}.${process.pid}.${i + 2}.tmp`);
      for (const b of blockers) fs.mkdirSync(b);
      await store.save(markedScan('bad', 4));
      assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
      for (const b of blockers) fs.rmdirSync(b);
      const loaded = await store.load();
      assert.ok(loaded);
      assert.equal(assertWhole(loaded), 'good');
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
        [],
      );
    });
  });

  describe('ReportStore: one window finds a corrupt file while the other saves', () => {
    test("the other window's good scan is never the one moved aside", async () => {
      let lost = 0;
      for (let i = 0; i < 200; i++) {
        const dir = freshDir();
        const reader = new ReportStore(uri(dir), recordingLog());
        const writer = new ReportStore(uri(dir), recordingLog());
        fs.writeFileSync(reader.file, 'corrupt');
        await Promise.all([reader.load(), writer.save(markedScan(`w${i}`, 2))]);
        const aside = fs.readdirSync(dir).filter((f) => f.includes('.corrupt-'));
        if (aside.some((f) => fs.readFileSync(path.join(dir, f), 'utf8') !== 'corrupt')) lost++;
      }
      assert.equal(lost, 0, `${lost} of 200 times a whole scan saved by the other window was moved aside as corrupt`);
    });
  });
}
