// Cancellation at every port call of a scan (inventory, flow logs raw and aggregated, CloudTrail, metrics, detect): the scan rejects promptly with the abort reason and leaves nothing running.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { ScanReport } from '../../src/core/model';
import type { TelemetrySource } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { openScenario } from '../../src/replay/scenario';
import { countingSource, type CountingOptions } from '../support/counting-source';

const root = path.resolve(__dirname, '..', '..');
const DEMO = path.join(root, 'test', 'fixtures', 'scenarios', 'demo');
const OPTIONS = { baselineDays: 7 };
/** A cancelled scan must give up within this, whatever the source does with its signal. */
const PROMPT_MS = 2_000;

/** Every port call of one uncancelled scan, in order. */
async function callsOf(make: () => TelemetrySource, extra: CountingOptions = {}): Promise<string[]> {
  const source = countingSource(make(), extra);
  await scan(source, OPTIONS);
  return source.calls;
}

async function cancelledAt(
  make: () => TelemetrySource,
  k: number,
  how: 'before' | 'after',
  extra: CountingOptions = {},
): Promise<{ outcome: unknown; ms: number }> {
  const controller = new AbortController();
  const reason = new Error(`cancelled at call ${k}`);
  const hook = (n: number) => {
    if (n === k) controller.abort(reason);
  };
  const source = countingSource(make(), { ...extra, [how]: hook });
  const t0 = Date.now();
  const outcome = await scan(source, { ...OPTIONS, signal: controller.signal }).then(
    (report: ScanReport) => report,
    (err: unknown) => err,
  );
  assert.equal(
    outcome,
    reason,
    `call ${k} (${source.calls[k - 1]}), abort ${how}: ${outcome instanceof Error ? outcome.stack : 'a report came back'}`,
  );
  return { outcome, ms: Date.now() - t0 };
}

describe('cancellation at every port call', () => {
  const replay = () => openScenario(DEMO);
  const variants: Array<{ name: string; extra: CountingOptions }> = [
    { name: 'the replay backend, raw flow records', extra: {} },
    { name: 'a source that ignores the signal', extra: { deaf: true } },
    { name: 'aggregated flow rows (as from Logs Insights)', extra: { aggregated: true } },
  ];
  for (const { name, extra } of variants) {
    test(`${name}: aborted before or after each call, the scan rejects with the reason`, async () => {
      const calls = await callsOf(replay, extra);
      for (const stage of [
        'account',
        'listFunctions',
        'listNetworkInterfaces',
        'describeFlowLogs',
        'readFlowLog',
        'lookupEvents',
        'getMetrics',
      ]) {
        assert.ok(calls.includes(stage), `${stage} is called: ${calls.join(', ')}`);
      }
      if (!extra.aggregated) assert.ok(calls.includes('readFlowLog.chunk'), 'raw chunks are read');
      for (let k = 1; k <= calls.length; k++) {
        for (const how of ['before', 'after'] as const) {
          const { ms } = await cancelledAt(replay, k, how, extra);
          assert.ok(ms < PROMPT_MS, `call ${k} (${calls[k - 1]}) ${how}: ${ms} ms`);
        }
      }
    });
  }

  test('aborted at each progress message (the last ones are the detect stage): never a report', async () => {
    const messages: string[] = [];
    await scan(openScenario(DEMO), { ...OPTIONS, onProgress: (m) => messages.push(m) });
    assert.ok(messages.includes('Comparing with the baseline') && messages.includes('Done'), messages.join(', '));
    for (let k = 0; k < messages.length; k++) {
      const controller = new AbortController();
      const reason = new Error(`cancelled at "${messages[k]}"`);
      let seen = 0;
      const outcome = await scan(openScenario(DEMO), {
        ...OPTIONS,
        signal: controller.signal,
        onProgress: () => {
          if (seen++ === k) controller.abort(reason);
        },
      }).then(
        () => 'a report',
        (err: unknown) => err,
      );
      assert.equal(outcome, reason, messages[k]);
    }
  });

  test('an already-aborted signal: no port is called', async () => {
    const source = countingSource(openScenario(DEMO));
    const reason = new Error('before the start');
    await assert.rejects(scan(source, { ...OPTIONS, signal: AbortSignal.abort(reason) }), (err) => err === reason);
    assert.deepEqual(source.calls, []);
  });
});

describe('a cancelled scan leaves nothing running', () => {
  test('the process exits on its own after a replay scan cancelled mid flow-log read', async () => {
    const calls = await callsOf(() => openScenario(DEMO));
    // Mid-stream: the first chunk of raw records is being read, the gzip stream open.
    const chunk = calls.indexOf('readFlowLog.chunk') + 2;
    for (const k of [2, chunk, calls.lastIndexOf('getMetrics') + 1]) {
      const { code, out, ms } = await runChild(['replay', DEMO, String(k)]);
      assert.equal(code, 0, out);
      assert.match(out, /"outcome":"rejected with the reason"/);
      assert.ok(ms < 8_000, `the child took ${ms} ms to exit after a cancellation at call ${k}`);
    }
  });
});

export function runChild(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'support', 'cancel-child.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out, ms: Date.now() - t0 });
    });
  });
}
