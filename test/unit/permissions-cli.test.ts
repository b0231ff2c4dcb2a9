// `lambda-behavior permissions` as a user runs it (the built CLI, its lazily loaded permissions bundle and IAM data): text and JSON on the demo, usage errors.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import type { PermissionsReport } from '../../src/permissions/model';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

test('json on the demo: one function of a shared role, its proposal and egress', () => {
  const r = run('permissions', '--demo', '--function', 'OrderApi', '--format', 'json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as PermissionsReport;
  assert.deepEqual(
    report.functions.map((f) => f.function),
    ['OrderApi'],
  );
  const [f] = report.functions;
  assert.deepEqual(f?.roleFunctions, ['OrderApi', 'OrderWorker']);
  assert.ok(
    f?.used.some((u) => u.action === 'dynamodb:DescribeTable' && u.functions.includes('OrderWorker')),
    "judged on OrderWorker's calls too",
  );
  assert.ok(f?.proposal.statements.some((s) => s.sid === 'SecretsmanagerUsedByCode'));
  assert.ok(report.limits.some((l) => /service control policies/.test(l)));
});

test('text on the demo names statements, unused grants and egress', () => {
  const r = run('permissions', '--demo', '--function', 'ThumbnailMaker');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ssm:GetParameter: allowed by inline ThumbnailMaker-role-[0-9a-f]+-config #1 \(Config\)/);
  assert.match(
    r.stdout,
    /granted, never used \(3\):\n {4}ssm:GetParameter\* .*ssm:GetParameterHistory, ssm:GetParameters, ssm:GetParametersByPath/,
  );
  assert.match(r.stdout, /proposed egress:\n {4}443\/tcp to 10\.\d+\.\d+\.\d+\/32/);
});

test('usage: one source, a known function', () => {
  assert.equal(run('permissions').status, 2);
  const missing = run('permissions', '--demo', '--function', 'Nope');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /function\(s\) not found in demo account: Nope/);
});
