// The `lambda-behavior` CLI as a script would use it: formats, exit codes, clear errors naming the file, accepted behaviour.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { ScanReport } from '../../src/core/model';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const sample = path.join(root, 'test', 'fixtures', 'scenarios', 'demo');

function run(args: string[], cwd = root) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, maxBuffer: 64 * 1024 * 1024 });
}

function tempScenario(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-cli-'));
  fs.cpSync(sample, dir, { recursive: true });
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) fs.chmodSync(path.join(dir, f), 0o755);
  return dir;
}

describe('lambda-behavior scan', () => {
  test('text output summarises the findings; exit 1 because some are high', () => {
    const r = run(['scan', '--scenario', sample]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /RDSQueryLogger/);
    assert.match(r.stdout, /10\.123\.1\.126:22\/tcp/);
    assert.match(r.stdout, /\d+ findings? \(/);
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when not a terminal');
  });

  test('--ignore-peer and --ignore-api leave peers, calls and their findings out; a bad rule is exit 2 naming it', () => {
    const r = run([
      'scan',
      '--scenario',
      sample,
      '--format',
      'json',
      '--fail-on',
      'none',
      '--ignore-peer',
      '10.123.1.126',
      '--ignore-api',
      'iam.amazonaws.com:*',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ScanReport;
    const all = report.functions.flatMap((f) => f.findings.map((x) => x.subject));
    assert.ok(!all.some((s) => s.startsWith('10.123.1.126:') || s.startsWith('iam.amazonaws.com:')), all.join(', '));
    assert.ok(!report.functions.some((f) => f.peers.some((p) => p.address === '10.123.1.126')));
    assert.ok(all.length > 0, 'the other findings stay');
    const bad = run(['scan', '--scenario', sample, '--ignore-peer', '10.0.0.0/40']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /"10\.0\.0\.0\/40" is not an address, a CIDR or address:port\/protocol/);
  });

  test('--fail-on decides the exit code; --function narrows the scan', () => {
    const clean = run(['scan', '--scenario', sample, '--function', 'ImageResizer', '--format', 'json']);
    assert.equal(clean.status, 0, clean.stderr);
    const report = JSON.parse(clean.stdout) as ScanReport;
    assert.deepEqual(
      report.functions.map((f) => f.name),
      ['ImageResizer'],
    );
    const low = run(['scan', '--scenario', sample, '--function', 'OrderApi', '--fail-on', 'low', '--format', 'json']);
    assert.equal(low.status, 1);
    const never = run(['scan', '--scenario', sample, '--fail-on', 'none']);
    assert.equal(never.status, 0, never.stderr);
  });

  test('json is the report format v1 with the windows', () => {
    const r = run(['scan', '--scenario', sample, '--format', 'json', '--baseline-days', '7', '--detect-hours', '12']);
    const report = JSON.parse(r.stdout) as ScanReport;
    assert.equal(report.formatVersion, 1);
    assert.equal(report.accountId, '526018159083');
    assert.deepEqual(report.window, {
      baselineStart: '2026-11-15T12:00:00Z',
      baselineEnd: '2026-11-22T12:00:00Z',
      detectStart: '2026-11-22T12:00:00Z',
      detectEnd: '2026-11-23T00:00:00Z',
    });
    for (const fn of report.functions) {
      assert.ok(fn.coverage.network && fn.coverage.cloudtrail && fn.coverage.metrics);
      for (const f of fn.findings) assert.ok(f.title && f.detail && f.severity && f.attribution && f.evidence);
    }
  });

  test('sarif and html formats', () => {
    const sarif = JSON.parse(run(['scan', '--scenario', sample, '--format', 'sarif']).stdout);
    assert.equal(sarif.version, '2.1.0');
    assert.ok(sarif.runs[0].results.length >= 5);
    const html = run(['scan', '--scenario', sample, '--format', 'html']).stdout;
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /RDSQueryLogger/);
    assert.doesNotMatch(html, /<script/i);
  });

  test('--output writes the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-out-'));
    const out = path.join(dir, 'nested', 'report.json');
    const r = run(['scan', '--scenario', sample, '--format', 'json', '--output', out]);
    assert.equal(r.stdout, '');
    assert.equal((JSON.parse(fs.readFileSync(out, 'utf8')) as ScanReport).formatVersion, 1);
  });

  test('bad usage and unreadable input exit 2 with a message naming the problem', () => {
    const none = run(['scan']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /--demo, --scenario DIR, or --profile/);
    const missingDir = run(['scan', '--scenario', '/nonexistent/scenario']);
    assert.equal(missingDir.status, 2);
    assert.match(missingDir.stderr, /\/nonexistent\/scenario/);
    const badFormat = run(['scan', '--scenario', sample, '--format', 'xml']);
    assert.equal(badFormat.status, 2);
    const badDays = run(['scan', '--scenario', sample, '--baseline-days', '0']);
    assert.equal(badDays.status, 2);
    const unknownFn = run(['scan', '--scenario', sample, '--function', 'NoSuchFunction']);
    assert.equal(unknownFn.status, 2);
    assert.match(unknownFn.stderr, /NoSuchFunction/);

    const dir = tempScenario();
    fs.writeFileSync(path.join(dir, 'cloudtrail', 'lookup-events.json'), '{"Events": [');
    const broken = run(['scan', '--scenario', dir]);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /cloudtrail\/lookup-events\.json: not valid JSON/);
    fs.rmSync(path.join(dir, 'lambda', 'list-functions.json'));
    const missing = run(['scan', '--scenario', dir]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /lambda\/list-functions\.json: missing/);
  });

  test('accept marks a finding as normal; the next scan no longer reports it', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-accept-'));
    const before = JSON.parse(run(['scan', '--scenario', sample, '--format', 'json', '--function', 'OrderApi'], cwd).stdout) as ScanReport;
    assert.ok(before.functions[0].findings.some((f) => f.subject === 's3.amazonaws.com:ListBuckets'));
    const a = run(
      [
        'accept',
        '--function',
        'OrderApi',
        '--kind',
        'new-api-call',
        '--subject',
        's3.amazonaws.com:ListBuckets',
        '--note',
        'inventory feature',
      ],
      cwd,
    );
    assert.equal(a.status, 0, a.stderr);
    const file = path.join(cwd, '.lambda-behavior', 'baseline.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(doc.accepted.length, 1);
    const after = JSON.parse(run(['scan', '--scenario', sample, '--format', 'json', '--function', 'OrderApi'], cwd).stdout) as ScanReport;
    const subjects = after.functions[0].findings.map((f) => f.subject);
    assert.ok(!subjects.includes('s3.amazonaws.com:ListBuckets'));
    assert.equal(subjects.length, before.functions[0].findings.length - 1);

    fs.writeFileSync(file, '{"formatVersion": 1, "accepted": [{"kind": "nope"}]}');
    const bad = run(['scan', '--scenario', sample], cwd);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /baseline\.json: accepted\[0\]/);
  });

  test('--demo scans the bundled demo account', () => {
    const r = run(['scan', '--demo', '--format', 'json']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const report = JSON.parse(r.stdout) as ScanReport;
    assert.equal(report.source, 'demo account');
    assert.ok(report.functions.length > 0);
  });
});

describe('lambda-behavior scan against a live account: credential problems are clear and never prompt', () => {
  const env = (config: string) => ({
    ...process.env,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'lb-home-')),
    // Nothing may be reached: a request would fail, not hang.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  });
  const runWith = (args: string[], config: string) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: env(config), stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });

  test('an unknown profile is named, with the files that were read', () => {
    const r = runWith(['scan', '--profile', 'nosuch', '--region', 'eu-west-1'], '/nonexistent/config');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /profile nosuch is not in \/nonexistent\/config or \/nonexistent\/credentials/);
  });

  test('an IAM Identity Center profile with no valid session says to run aws sso login', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-aws-'));
    const config = path.join(dir, 'config');
    fs.writeFileSync(
      config,
      [
        '[profile dev]',
        'region = eu-west-1',
        'sso_session = corp',
        'sso_account_id = 111122223333',
        'sso_role_name = ReadOnly',
        '[sso-session corp]',
        'sso_start_url = https://example.awsapps.com/start',
        'sso_region = eu-west-1',
        '',
      ].join('\n'),
    );
    const r = runWith(['scan', '--profile', 'dev'], config);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /aws sso login --profile dev/);
    assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning/);
  });
});
