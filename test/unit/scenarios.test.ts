// Every recorded scenario with labels, scanned through the CLI as a user would: every labelled anomaly found, no false positive.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { ScanReport } from '../../src/core/model';
import { score, type ScenarioLabels } from '../support/score';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

/** Scenario directories that have `<dir>.labels.json` beside them: the copied samples, the bundled demo, and generated ones. */
function labelledScenarios(): Array<{ name: string; dir: string; labels: string }> {
  const out: Array<{ name: string; dir: string; labels: string }> = [];
  for (const parent of [path.join(root, 'test', 'fixtures', 'scenarios'), path.join(root, 'media')]) {
    if (!fs.existsSync(parent)) continue;
    for (const entry of fs.readdirSync(parent)) {
      const labels = path.join(parent, `${entry}.labels.json`);
      const dir = path.join(parent, entry);
      if (fs.existsSync(labels) && fs.statSync(dir).isDirectory()) out.push({ name: path.relative(root, dir), dir, labels });
    }
  }
  return out;
}

function scanJson(args: string[]): { report: ScanReport; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'scan', '--format', 'json', ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { report: r.stdout ? (JSON.parse(r.stdout) as ScanReport) : (undefined as never), status: r.status, stderr: r.stderr };
}

describe('labelled scenarios', () => {
  const scenarios = labelledScenarios();
  test('the sample scenarios and the bundled demo are there', () => {
    const names = scenarios.map((s) => s.name);
    assert.ok(names.includes(path.join('test', 'fixtures', 'scenarios', 'demo')), names.join(', '));
    assert.ok(names.includes(path.join('test', 'fixtures', 'scenarios', 'mixed-v5')), names.join(', '));
    assert.ok(names.includes(path.join('media', 'demo')), names.join(', '));
  });

  for (const s of scenarios) {
    test(`${s.name}: every labelled anomaly found, no false positive`, () => {
      const labels = JSON.parse(fs.readFileSync(s.labels, 'utf8')) as ScenarioLabels;
      const { report, status, stderr } = scanJson(['--scenario', s.dir]);
      assert.ok(report, `no report: ${stderr}`);
      const result = score(labels, report);
      assert.deepEqual(result.misses, [], `missed in ${s.name}`);
      assert.deepEqual(result.falsePositives, [], `false positives in ${s.name}`);
      assert.ok(result.required > 0, 'the labels require something');
      assert.equal(report.formatVersion, 1);
      assert.deepEqual(report.functions.map((f) => f.name).sort(), [...labels.functions].sort());
      const anyHigh = report.functions.some((f) => f.findings.some((x) => x.severity === 'high'));
      assert.equal(status, anyHigh ? 1 : 0, 'exit code follows --fail-on high');
    });
  }

  test('the scorer itself catches a miss and a false positive', () => {
    const labels: ScenarioLabels = { functions: ['a'], anomalies: [{ function: 'a', kinds: ['new-peer'], subject: '10.0.0.1:22/tcp' }] };
    const report = {
      functions: [{ name: 'a', findings: [{ kind: 'new-peer', subject: '10.0.0.2:22/6' }] }],
    } as unknown as ScanReport;
    const r = score(labels, report);
    assert.deepEqual(r.misses, ['a new-peer 10.0.0.1:22/tcp']);
    assert.deepEqual(r.falsePositives, ['a new-peer 10.0.0.2:22/tcp']);
  });
});
