// `scan --scenario DIR` on broken scenario files: exit code 2 and one line naming the file and what is wrong.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { MAX_JSON_BYTES } from '../../src/replay/scenario';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const sample = path.join(root, 'test', 'fixtures', 'scenarios', 'demo');
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-replay-cli-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

let serial = 0;
function scenarioWith(rel: string, write: (file: string) => void): string {
  const dir = path.join(temp, `s${++serial}`);
  fs.cpSync(sample, dir, { recursive: true });
  const file = path.join(dir, rel);
  fs.rmSync(file, { force: true });
  write(file);
  return dir;
}

function scan(dir: string) {
  return spawnSync(process.execPath, [cli, 'scan', '--scenario', dir, '--format', 'json'], { encoding: 'utf8', timeout: 60_000 });
}

function assertBadInput(dir: string, rel: string, problem: RegExp) {
  const r = scan(dir);
  assert.equal(r.status, 2, `${rel}: exit ${r.status}\n${r.stderr}`);
  assert.equal(r.stdout, '', 'no report on bad input');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, not a stack trace:\n${r.stderr}`);
  assert.ok(lines[0].includes(path.join(dir, rel)), `names ${rel}: ${lines[0]}`);
  assert.match(lines[0], problem);
  assert.doesNotMatch(lines[0], /[\x00-\x08\x0b-\x1f\x7f]/, 'no control characters from the file reach the terminal');
}

const JSON_FILES = [
  'scenario.json',
  'lambda/list-functions.json',
  'lambda/tags.json',
  'ec2/describe-network-interfaces.json',
  'ec2/describe-flow-logs.json',
  'cloudtrail/lookup-events.json',
  'cloudwatch/get-metric-data.json',
];

describe('scan --scenario: broken files are exit 2, naming the file and the problem', () => {
  test('truncated', () => {
    for (const rel of JSON_FILES) {
      const text = fs.readFileSync(path.join(sample, rel), 'utf8');
      assertBadInput(
        scenarioWith(rel, (f) => fs.writeFileSync(f, text.slice(0, Math.floor(text.length / 2)))),
        rel,
        /not valid JSON/,
      );
    }
  });

  test('not JSON (binary, with terminal escapes in it)', () => {
    for (const rel of ['scenario.json', 'cloudtrail/lookup-events.json']) {
      assertBadInput(
        scenarioWith(rel, (f) => fs.writeFileSync(f, Buffer.from('\x1b]0;pwned\x07\x1b[2J\x00\xff\xfe binary'))),
        rel,
        /not valid JSON/,
      );
    }
  });

  test('an empty file', () => {
    assertBadInput(
      scenarioWith('lambda/list-functions.json', (f) => fs.writeFileSync(f, '')),
      'lambda/list-functions.json',
      /not valid JSON/,
    );
  });

  test('the wrong shape', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['lambda/list-functions.json', '[]', /expected a JSON object/],
      ['lambda/list-functions.json', '{"Functions":{}}', /"Functions" array/],
      ['lambda/list-functions.json', '{"Functions":[{"FunctionName":5}]}', /Functions\[0\].*FunctionName/],
      ['ec2/describe-network-interfaces.json', '{"NetworkInterfaces":"x"}', /"NetworkInterfaces" array/],
      ['cloudtrail/lookup-events.json', '{"Events":[{"EventId":"e","CloudTrailEvent":"{"}]}', /Events\[0\].*not JSON/],
      ['cloudwatch/get-metric-data.json', '{"MetricDataQueries":[],"MetricDataResults":{}}', /MetricDataResults/],
      [
        'scenario.json',
        '{"formatVersion":1,"accountId":"1","region":"us-east-1","failures":{"cloudtrail:LookupEvents":[[[]]]}}',
        /failures/,
      ],
      ['scenario.json', `{"formatVersion":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, /formatVersion must be 1 \(found an array of 1\)/],
    ];
    for (const [rel, text, problem] of cases)
      assertBadInput(
        scenarioWith(rel, (f) => fs.writeFileSync(f, text)),
        rel,
        problem,
      );
  });

  test('not a regular file (a directory where a file belongs)', () => {
    assertBadInput(
      scenarioWith('cloudtrail/lookup-events.json', (f) => fs.mkdirSync(f)),
      'cloudtrail/lookup-events.json',
      /not a regular file/,
    );
  });

  test('enormous: a sparse file one byte over the cap is refused from its size, without being read', () => {
    // A sparse file: its size is over the cap but it takes no disk space and the loader never reads it, so the
    // test checks the real cap (no test-only switch that a user could set to lift it).
    const rel = 'cloudtrail/lookup-events.json';
    const dir = scenarioWith(rel, (f) => {
      const fd = fs.openSync(f, 'w');
      fs.ftruncateSync(fd, MAX_JSON_BYTES + 1);
      fs.closeSync(fd);
    });
    const t0 = Date.now();
    assertBadInput(dir, rel, new RegExp(`${MAX_JSON_BYTES + 1} bytes is larger than the ${MAX_JSON_BYTES}-byte limit`));
    assert.ok(Date.now() - t0 < 10_000, 'refused before reading');
    // 1 GiB, or what V8 can hold as one string if that is less (512 MiB on 64-bit Node).
    assert.ok(MAX_JSON_BYTES <= 1024 ** 3 && MAX_JSON_BYTES >= 256 * 1024 ** 2);
  });
});

describe('scan --scenario: broken flow-log files do not stop the scan', () => {
  test('a truncated gzip and a binary .log: the scan finishes, warning about each file', () => {
    const dir = path.join(temp, 'flows');
    fs.cpSync(sample, dir, { recursive: true });
    const [gz] = fs.readdirSync(path.join(dir, 'flowlogs'));
    const file = path.join(dir, 'flowlogs', gz);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const r = spawnSync(process.execPath, [cli, 'scan', '--scenario', dir, '--format', 'json', '--fail-on', 'none'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { warnings: string[]; functions: unknown[] };
    assert.ok(
      report.warnings.some((w) => w.includes(file) && /stopped early/.test(w)),
      report.warnings.join('\n'),
    );
    assert.ok(report.functions.length > 0);

    fs.writeFileSync(file.replace(/\.gz$/, ''), Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x41, 0x0a]));
    fs.rmSync(file);
    const garbage = spawnSync(process.execPath, [cli, 'scan', '--scenario', dir, '--format', 'json', '--fail-on', 'none'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(garbage.status, 0, garbage.stderr);
    const g = JSON.parse(garbage.stdout) as { warnings: string[]; stats: { malformedFlowRecords: number } };
    assert.equal(g.stats.malformedFlowRecords, 2);
    assert.ok(
      g.warnings.some((w) => /malformed flow record/.test(w)),
      g.warnings.join('\n'),
    );
    assert.doesNotMatch(garbage.stderr, /\x1b/, 'the warning on stderr carries no escape sequence from the file');
  });
});
