// `scan --redact` and redactReport: no account id, public address or tag value survives in any format; the rest stays. And no credential is ever logged or stored.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, describe, test } from 'node:test';
import { isPrivateAddress } from '../../src/core/inventory/resources';
import type { FunctionReport, ScanReport } from '../../src/core/model';
import { Redactor, redactReport } from '../../src/report/redact';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const SCENARIOS = ['demo', 'mixed-v5'].map((name) => path.join(root, 'test', 'fixtures', 'scenarios', name));
const FORMATS = ['json', 'sarif', 'html', 'text'] as const;

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-redact-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: temp, env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
}

function scanJson(dir: string, redact: boolean): ScanReport {
  const r = run(['scan', '--scenario', dir, '--format', 'json', '--fail-on', 'none', ...(redact ? ['--redact'] : [])]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ScanReport;
}

/** Every string of a value (keys included). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

const IPV4 = /(?<!\d|\d\.)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d|\.\d)/g;
const ACCOUNT = /(?<!\d)\d{12}(?!\d)/g;

/** What must not survive: account ids (the report's and every 12-digit run, as in ARNs), public addresses, tag values. */
function secrets(report: ScanReport) {
  const text = strings(report).join('\n');
  const accounts = new Set([report.accountId, ...(text.match(ACCOUNT) ?? [])]);
  const addresses = new Set([
    ...report.functions.flatMap((f) => [...f.peers.map((p) => p.address), ...f.enis.map((e) => e.privateIp)]),
    ...(text.match(IPV4) ?? []),
  ]);
  const publicAddresses = [...addresses].filter((a) => !isPrivateAddress(a));
  const privateAddresses = [...addresses].filter((a) => isPrivateAddress(a));
  const tagValues = new Set(report.functions.flatMap((f) => Object.values(f.tags ?? {})));
  return { accounts: [...accounts], publicAddresses, privateAddresses, tagValues: [...tagValues] };
}

const kinds = (f: FunctionReport) => f.findings.map((x) => `${x.kind} ${x.severity} ${x.attribution}`).sort();

for (const dir of SCENARIOS) {
  describe(`scan --redact: ${path.basename(dir)}`, () => {
    const original = scanJson(dir, false);
    const redacted = scanJson(dir, true);
    const s = secrets(original);

    test('the scenario has something to redact', () => {
      assert.ok(
        s.accounts.length >= 1 && s.publicAddresses.length >= 1 && s.tagValues.length + s.privateAddresses.length >= 1,
        JSON.stringify(s),
      );
    });

    for (const format of FORMATS) {
      test(`${format}: no original account id or public address survives; tag values are gone from the report`, () => {
        const out = path.join(temp, `${path.basename(dir)}.${format}`);
        const r = run(['scan', '--scenario', dir, '--format', format, '--fail-on', 'none', '--redact', '-o', out]);
        assert.equal(r.status, 0, r.stderr);
        const text = fs.readFileSync(out, 'utf8');
        for (const a of s.accounts) assert.ok(!text.includes(a), `${format}: account ${a} survives`);
        for (const a of s.publicAddresses)
          assert.ok(!new RegExp(`(?<![\\d.])${a.replace(/\./g, '\\.')}(?![\\d])`).test(text), `${format}: address ${a} survives`);
        // Tag values long enough not to be part of other words (function names keep "Payments", for example).
        for (const v of s.tagValues.filter((t) => t.length >= 8)) assert.ok(!text.includes(v), `${format}: tag value ${v} survives`);
        assert.ok(text.includes('123456789012'), `${format}: the account's stand-in is there`);
      });
    }

    test('function names and private addresses stay; findings are the same in number and kind', () => {
      assert.deepEqual(
        redacted.functions.map((f) => f.name),
        original.functions.map((f) => f.name),
      );
      const redactedText = strings(redacted).join('\n');
      for (const a of s.privateAddresses) assert.ok(redactedText.includes(a), `private ${a} kept`);
      original.functions.forEach((f, i) => {
        const g = redacted.functions[i];
        assert.deepEqual(kinds(g), kinds(f), f.name);
        assert.equal(g.peers.length, f.peers.length);
        assert.equal(g.apiCalls.length, f.apiCalls.length);
        assert.deepEqual(
          g.apiCalls.map((c) => `${c.eventSource}:${c.eventName} ${c.count}`),
          f.apiCalls.map((c) => `${c.eventSource}:${c.eventName} ${c.count}`),
        );
        assert.equal(g.arn.split(':').at(-1), f.arn.split(':').at(-1), 'the ARN keeps its function name');
      });
      assert.equal(redacted.stats?.flowRecords, original.stats?.flowRecords);
    });

    test('the same original always gets the same stand-in, and different originals different ones', () => {
      const map = new Map<string, string>();
      const back = new Map<string, string>();
      const pair = (from: string, to: string) => {
        assert.equal(map.get(from) ?? to, to, `${from} → ${map.get(from)} and ${to}`);
        assert.equal(back.get(to) ?? from, from, `${to} ← ${back.get(to)} and ${from}`);
        map.set(from, to);
        back.set(to, from);
      };
      original.functions.forEach((f, i) => {
        const g = redacted.functions[i];
        f.peers.forEach((p, j) => pair(p.address, g.peers[j].address));
        f.enis.forEach((e, j) => pair(e.privateIp, g.enis[j].privateIp));
        f.findings.forEach((x, j) => pair(x.subject, g.findings[j].subject));
        for (const [k, v] of Object.entries(f.tags ?? {})) pair(`tag ${v}`, `tag ${g.tags![k]}`);
        pair(`account ${f.arn.split(':')[4]}`, `account ${g.arn.split(':')[4]}`);
      });
      pair(`account ${original.accountId}`, `account ${redacted.accountId}`);
      for (const [from, to] of map) {
        if (from.startsWith('tag ')) assert.match(to, /^tag redacted-tag-value-\d+$/);
        const addr = /^[\d.]+$/.test(from) ? from : undefined;
        if (addr && !isPrivateAddress(addr)) assert.match(to, /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/, `${from} → ${to}`);
      }
    });

    test('finding ids follow the redacted subjects (the original id is a hash of the original address)', () => {
      const sarifRun = run(['scan', '--scenario', dir, '--format', 'sarif', '--fail-on', 'none', '--redact']);
      const sarif = JSON.parse(sarifRun.stdout) as { runs: Array<{ results: Array<{ partialFingerprints: Record<string, string> }> }> };
      const ids = new Set(redacted.functions.flatMap((f) => f.findings.map((x) => x.id)));
      const originalIds = new Set(
        original.functions.flatMap((f) =>
          f.findings.filter((x) => s.publicAddresses.some((a) => x.subject.startsWith(`${a}:`))).map((x) => x.id),
        ),
      );
      for (const r of sarif.runs[0].results)
        for (const v of Object.values(r.partialFingerprints)) {
          assert.ok(!originalIds.has(v), `an original id ${v} survives in SARIF`);
          if (/^[a-z-]+:[0-9a-f]{8}$/.test(v)) assert.ok(ids.has(v), `${v} is a redacted finding id`);
        }
    });
  });
}

describe('redactReport', () => {
  const report: ScanReport = {
    formatVersion: 1,
    accountId: '526018159083',
    region: 'us-east-1',
    source: 'scenario x',
    window: {
      baselineStart: '2026-11-08T00:00:00Z',
      baselineEnd: '2026-11-22T00:00:00Z',
      detectStart: '2026-11-22T00:00:00Z',
      detectEnd: '2026-11-23T00:00:00Z',
    },
    warnings: ['flow log fl-1: 2600:1f18:4a3:6e00::5 and 52.94.1.2. were seen; account 526018159083.'],
    functions: [
      {
        name: 'fn-526018159083',
        arn: 'arn:aws:lambda:us-east-1:526018159083:function:fn-526018159083',
        inVpc: true,
        role: 'arn:aws:iam::526018159083:role/r',
        tags: { owner: 'alice@example.com', env: 'prod', other: 'prod' },
        enis: [{ id: 'eni-1', privateIp: '10.0.1.5', sharedWith: [] }],
        peers: [
          {
            address: '2600:1f18:4a3:6e00::5',
            port: 443,
            protocol: 'tcp',
            resource: 'external',
            inBaseline: false,
            flows: 1,
            bytes: 10,
            packets: 1,
            rejected: 0,
          },
          {
            address: '2600:1f18:04a3:6e00:0:0:0:5',
            port: 80,
            protocol: 'tcp',
            resource: 'external',
            inBaseline: false,
            flows: 1,
            bytes: 10,
            packets: 1,
            rejected: 0,
          },
          {
            address: 'fd00::7',
            port: 53,
            protocol: 'udp',
            resource: 'private',
            inBaseline: true,
            flows: 1,
            bytes: 10,
            packets: 1,
            rejected: 0,
          },
          {
            address: '192.0.2.1',
            port: 25,
            protocol: 'tcp',
            resource: 'external',
            inBaseline: true,
            flows: 1,
            bytes: 10,
            packets: 1,
            rejected: 0,
          },
          {
            address: '52.94.1.2',
            port: 443,
            protocol: 'tcp',
            resource: 'AWS S3',
            inBaseline: true,
            flows: 1,
            bytes: 10,
            packets: 1,
            rejected: 0,
          },
        ],
        apiCalls: [],
        findings: [
          {
            id: 'new-peer:00000000',
            kind: 'new-peer',
            subject: '2600:1f18:4a3:6e00::5:443/tcp',
            severity: 'high',
            attribution: 'exact',
            title: 'New peer 2600:1f18:4a3:6e00::5:443/tcp',
            detail: 'first reached 2600:1f18:4a3:6e00::5 from 10.0.1.5; 52.94.1.2 too.',
            evidence: {
              samples: ['2 526018159083 eni-1 10.0.1.5 52.94.1.2 40000 443 6 1 10 1 2 ACCEPT OK'],
              nested: { deep: ['2600:1f18:4a3:6e00::5'] },
            },
          },
        ],
        coverage: { network: 'complete', cloudtrail: 'complete', metrics: 'complete' },
      },
    ],
  };
  const r = redactReport(report);
  // The function's name stays, digits and all; nothing else of the account may.
  const text = JSON.stringify(r).replaceAll('fn-526018159083', 'fn-NAME');

  test('IPv6 addresses, also inside peer subjects and sentences, and IPv4 at a sentence end', () => {
    assert.ok(!/2600:1f18/i.test(text), text);
    assert.ok(!text.includes('52.94.1.2'), text);
    assert.ok(!text.includes('526018159083'), text);
    const [fn] = r.functions;
    assert.match(fn.peers[0].address, /^2001:db8::[0-9a-f]+$/);
    assert.equal(fn.peers[1].address, fn.peers[0].address, 'the same address written two ways gets one stand-in');
    assert.equal(fn.findings[0].subject, `${fn.peers[0].address}:443/tcp`);
    assert.ok(fn.findings[0].title.endsWith(`${fn.peers[0].address}:443/tcp`), fn.findings[0].title);
    assert.deepEqual((fn.findings[0].evidence.nested as { deep: string[] }).deep, [fn.peers[0].address]);
    assert.ok(r.warnings[0].includes(fn.peers[0].address) && r.warnings[0].includes(fn.peers[4].address), r.warnings[0]);
    assert.notEqual(fn.findings[0].id, 'new-peer:00000000');
  });

  test('private and documentation addresses stay, and no stand-in collides with one the report already holds', () => {
    const [fn] = r.functions;
    assert.equal(fn.peers[2].address, 'fd00::7');
    assert.equal(fn.peers[3].address, '192.0.2.1');
    assert.notEqual(fn.peers[4].address, '192.0.2.1', '52.94.1.2 must not become the 192.0.2.1 already in the report');
    assert.equal(fn.enis[0].privateIp, '10.0.1.5');
  });

  test('function names stay, ARNs keep all but their account, tag values are replaced consistently', () => {
    const [fn] = r.functions;
    assert.equal(fn.name, 'fn-526018159083');
    assert.equal(fn.arn, `arn:aws:lambda:us-east-1:${r.accountId}:function:fn-526018159083`);
    assert.equal(r.accountId, '123456789012');
    assert.deepEqual(Object.keys(fn.tags!), ['owner', 'env', 'other']);
    assert.equal(fn.tags!.env, fn.tags!.other);
    assert.notEqual(fn.tags!.owner, fn.tags!.env);
    assert.ok(!text.includes('alice@example.com'));
  });

  test('the input report is not changed', () => {
    assert.equal(report.accountId, '526018159083');
    assert.equal(report.functions[0].peers[0].address, '2600:1f18:4a3:6e00::5');
  });

  test('Redactor (shared with record --redact): the account 123456789012 itself becomes another id; many addresses stay distinct', () => {
    const red = new Redactor();
    assert.equal(red.text('arn:aws:iam::123456789012:role/x'), 'arn:aws:iam::111122223333:role/x');
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) seen.add(red.address(`52.${(i >> 8) & 255}.${i & 255}.7`));
    assert.equal(seen.size, 2_000, 'distinct addresses get distinct stand-ins beyond the 762 of TEST-NET-1..3');
    assert.equal(
      red.text('10:00:00 2026-11-22T10:00:00Z 0e:5f:aa:bb:cc:dd'),
      '10:00:00 2026-11-22T10:00:00Z 0e:5f:aa:bb:cc:dd',
      'times and MAC addresses are not addresses',
    );
  });
});

describe('no credential is logged or stored', () => {
  const KEY_ID = 'AKIALBCREDTESTKEYID7Q';
  const SECRET = 'lbSecretTestValue/DoNotLogMe+0123456789abcdefXYZ';
  const TOKEN = 'lbSessionTokenTestValue//DoNotStoreMe==AQoDYXdzEJr';
  const home = path.join(temp, 'home');
  fs.mkdirSync(path.join(home, '.aws'), { recursive: true });
  const config = path.join(home, '.aws', 'config');
  const credentials = path.join(home, '.aws', 'credentials');
  fs.writeFileSync(config, '[profile leaky]\nregion = us-east-1\n');
  fs.writeFileSync(
    credentials,
    `[leaky]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\naws_session_token = ${TOKEN}\n`,
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_SESSION_TOKEN: TOKEN,
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '2',
  };

  function assertClean(what: string, text: string) {
    for (const [name, value] of [
      ['access key id', KEY_ID],
      ['secret key', SECRET],
      ['session token', TOKEN],
    ]) {
      assert.ok(!text.includes(value), `${what} holds the ${name}`);
      // Parts of it, too (a log that cuts or encodes it).
      assert.ok(!text.includes(value.slice(4, 16)), `${what} holds part of the ${name}`);
      assert.ok(!text.includes(encodeURIComponent(value)), `${what} holds the ${name}, URL-encoded`);
    }
  }
  function filesUnder(dir: string): string[] {
    return fs.existsSync(dir)
      ? (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile())
      : [];
  }
  function assertFilesClean(dir: string) {
    for (const f of filesUnder(dir)) {
      const bytes = fs.readFileSync(f);
      const text = f.endsWith('.gz') ? zlib.gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
      assertClean(f, text);
    }
  }

  test('a scenario scan with credentials in the environment: nothing in stdout, stderr or the report', () => {
    for (const format of FORMATS) {
      const out = path.join(temp, 'creds', `scenario.${format}`);
      const r = run(['scan', '--scenario', SCENARIOS[0], '--format', format, '-o', out], env);
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      assertClean(`stdout (${format})`, r.stdout);
      assertClean(`stderr (${format})`, r.stderr);
    }
    assertFilesClean(path.join(temp, 'creds'));
  });

  test('a live scan and a recording against an unreachable endpoint: they fail, and say nothing secret', () => {
    const out = path.join(temp, 'creds-live', 'report.json');
    const t0 = Date.now();
    const scan = run(['scan', '--profile', 'leaky', '--region', 'us-east-1', '--format', 'json', '-o', out], env);
    assert.ok(scan.status !== 0 || fs.existsSync(out), `scan: ${scan.stderr}`);
    assertClean('scan stdout', scan.stdout);
    assertClean('scan stderr', scan.stderr);
    assert.ok(scan.stderr.length > 0, 'the failure is explained');

    const recordDir = path.join(temp, 'creds-live', 'recorded');
    const record = run(['record', '--profile', 'leaky', '--region', 'us-east-1', '--out', recordDir], env);
    assertClean('record stdout', record.stdout);
    assertClean('record stderr', record.stderr);
    assertFilesClean(path.join(temp, 'creds-live'));
    // Nothing is written next to the user's AWS files either (no cache of resolved credentials).
    assert.deepEqual(fs.readdirSync(path.join(home, '.aws')).sort(), ['config', 'credentials']);
    assert.ok(Date.now() - t0 < 100_000);
  });
});
