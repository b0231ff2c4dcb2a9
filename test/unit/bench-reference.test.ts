// The plain Python reference issue 11's benchmark times the scan against (bench/reference/flow_peers.py) finds, per function,
// the same peers (address, port, protocol) with the same traffic as the engine's report over the baseline and the detection
// window: the benchmark compares two programs doing the same job.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { PeerReport, ScanReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { generateScenario } from '../../src/gen/generate';
import { optionsFromArgv } from '../../src/gen/main';
import { openScenario } from '../../src/replay/scenario';

const root = path.resolve(__dirname, '..', '..');
const reference = path.join(root, 'bench', 'reference', 'flow_peers.py');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-bench-reference-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const noPython = python.error || python.status !== 0 ? 'python3 is not on PATH' : undefined;

interface ReferencePeer {
  address: string;
  port: number;
  protocol: string;
  flows: number;
  packets: number;
  bytes: number;
  rejected: number;
}
interface ReferenceOutput {
  functions: Array<{ name: string; enis: string[]; peers: ReferencePeer[] }>;
  stats: Record<string, number>;
}

function runReference(dir: string): ReferenceOutput {
  const r = spawnSync('python3', [reference, dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `flow_peers.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReferenceOutput;
}

async function runEngine(dir: string): Promise<ScanReport> {
  // One thread: the calling thread parses the flow log, as the reference does.
  return scan(openScenario(dir, undefined, { flowThreads: { threads: 1 } }));
}

const key = (p: { address: string; port: number; protocol: string }) => `${p.address}:${p.port}/${p.protocol}`;

/** A report peer's totals over both windows (its own counts are the detection window's, `baseline` the baseline's). */
function totals(p: PeerReport): { flows: number; packets: number; bytes: number; rejected: number } {
  return {
    flows: p.flows + (p.baseline?.flows ?? 0),
    packets: p.packets + (p.baseline?.packets ?? 0),
    bytes: p.bytes + (p.baseline?.bytes ?? 0),
    rejected: p.rejected + (p.baseline?.rejected ?? 0),
  };
}

/**
 * Per function: the engine's address peers against the reference's peers, as sets of `address:port/protocol` and with
 * their flows, packets, bytes and rejected flows. The reference names no AWS service (no ip-ranges): a scenario whose
 * report has service peers (`aws:S3:...`, one per service for many addresses) is not compared here, and none is expected.
 */
function compare(report: ScanReport, ref: ReferenceOutput): { functions: number; peers: number } {
  const byName = new Map(ref.functions.map((f) => [f.name, f]));
  let peers = 0;
  let functions = 0;
  for (const fn of report.functions) {
    assert.ok(
      fn.peers.every((p) => !p.service),
      `${fn.name}: the report has AWS service peers, which the reference does not group`,
    );
    const engine = new Map(fn.peers.map((p) => [key(p), totals(p)]));
    const mine = new Map((byName.get(fn.name)?.peers ?? []).map((p) => [key(p), p]));
    assert.deepEqual([...mine.keys()].sort(), [...engine.keys()].sort(), `${fn.name}: the same peers`);
    for (const [k, e] of engine) {
      const r = mine.get(k)!;
      assert.deepEqual(
        { flows: r.flows, packets: r.packets, bytes: r.bytes, rejected: r.rejected },
        e,
        `${fn.name} ${k}: the same traffic`,
      );
    }
    assert.deepEqual([...(byName.get(fn.name)?.enis ?? [])].sort(), fn.enis.map((e) => e.id).sort(), `${fn.name}: the same Lambda ENIs`);
    peers += engine.size;
    if (engine.size > 0) functions++;
  }
  return { functions, peers };
}

describe('the plain Python reference of issue 11 (bench/reference/flow_peers.py)', { skip: noPython }, () => {
  const cases: Array<{ name: string; args: string[] }> = [
    // Issue 11's account in small: the scale profile, one-minute records in one gzip file, Lambda ENIs only.
    {
      name: 'scale, v2, gzip',
      args: [
        '--profile',
        'scale',
        '--functions',
        '24',
        '--days',
        '15',
        '--seed',
        '11',
        '--gzip',
        '--interval',
        '60',
        '--records-per-eni-hour',
        '6',
      ],
    },
    // Shared ENIs, anomalies, the peers' own ENIs logged too, and a LogFormat of its own field order.
    { name: 'mixed, custom format, plain text', args: ['--profile', 'mixed', '--seed', '3', '--format', 'custom', '--no-gzip'] },
    // v5 fields (flow-direction, pkt-*-aws-service), gzip.
    { name: 'mixed, v5, gzip', args: ['--profile', 'mixed', '--seed', '5', '--format', 'v5', '--gzip'] },
  ];
  for (const c of cases) {
    test(`${c.name}: per function, the same peers and traffic as the engine's report`, async () => {
      const dir = path.join(tmp, c.name.replace(/[^a-z0-9]+/g, '-'));
      await generateScenario(optionsFromArgv(['--out', dir, ...c.args, '--labels', path.join(tmp, `${path.basename(dir)}.labels.json`)]));
      const ref = runReference(dir);
      const report = await runEngine(dir);
      const { functions, peers } = compare(report, ref);
      assert.ok(functions > 0 && peers > 0, `something was compared (${functions} functions, ${peers} peers)`);
      assert.equal(ref.stats.attributed, report.stats!.flowRecordsAttributed, 'the same records attributed');
    });
  }
});
