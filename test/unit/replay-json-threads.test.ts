// A recording's JSON read on other threads: the very data the synchronous read gives, the same errors, and the calling thread's event loop keeps turning meanwhile.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { optionsFromArgv } from '../../src/gen/main';
import { generateScenario } from '../../src/gen/generate';
import { InputError } from '../../src/core/ports';
import { openScenario, openScenarioInThreads } from '../../src/replay/scenario';
import { flattenRecords, unflattenRecords } from '../../src/node/flat-records';
import fc from 'fast-check';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-json-threads-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const DEMO = path.join(__dirname, '..', '..', 'media', 'demo');

/** What a source read from a scenario holds (the recorded data behind its methods). */
const dataOf = (source: unknown) => (source as { data: unknown }).data;

/** This thread's time on a CPU so far, in ms (Linux: /proc/thread-self/schedstat), or undefined elsewhere. */
function threadCpuMs(): number | undefined {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` while a 1 ms timer ticks: the longest stretch between two ticks, as this thread's CPU time (what it spent
 * working without turning its event loop; a loaded machine's descheduling does not count) and as wall time.
 */
async function longestStretch(work: () => Promise<unknown>): Promise<{ cpuMs: number; wallMs: number; ticks: number }> {
  let cpuMs = 0;
  let wallMs = 0;
  let ticks = 0;
  let lastCpu = threadCpuMs();
  let lastWall = performance.now();
  const tick = () => {
    const cpu = threadCpuMs();
    const wall = performance.now();
    if (cpu !== undefined && lastCpu !== undefined) cpuMs = Math.max(cpuMs, cpu - lastCpu);
    wallMs = Math.max(wallMs, wall - lastWall);
    lastCpu = cpu;
    lastWall = wall;
    ticks++;
  };
  const timer = setInterval(tick, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  tick();
  return { cpuMs, wallMs, ticks };
}

describe('flat records (how trail events cross threads)', () => {
  test('come back equal after a structured clone: every kind of value, undefined ones and odd keys kept, key order too', () => {
    const value = fc.oneof(
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3, noNullPrototype: true }),
    );
    const key = fc.oneof(fc.constantFrom('eventId', 'userAgent', '__proto__', 'constructor', '', 'a\0', '\0b'), fc.string());
    fc.assert(
      fc.property(fc.array(fc.dictionary(key, value, { maxKeys: 6, noNullPrototype: true }), { maxLength: 40 }), (records) => {
        const { flat, transfer } = flattenRecords(records);
        const back = unflattenRecords(structuredClone(flat, { transfer }));
        assert.deepStrictEqual(back, records);
        back.forEach((r, i) => assert.deepEqual(Object.keys(r), Object.keys(records[i])));
      }),
      { numRuns: 200 },
    );
  });
});

describe("a recording's JSON read on other threads", () => {
  let big = '';
  before(async () => {
    // 300 functions: about 30 MB of CloudTrail and metrics JSON, flow records kept few (they are not read at open).
    big = path.join(tmp, 'scale300');
    await generateScenario(
      optionsFromArgv([
        '--out',
        big,
        '--profile',
        'scale',
        '--functions',
        '300',
        '--days',
        '15',
        '--seed',
        '3',
        '--records-per-eni-hour',
        '1',
      ]),
    );
  });

  test('gives the data the synchronous read gives (the demo account, read here being small, and a 300-function account)', async () => {
    for (const dir of [DEMO, big]) {
      const threaded = await openScenarioInThreads(dir, 'x');
      assert.deepStrictEqual(dataOf(threaded), dataOf(openScenario(dir, 'x')));
    }
  });

  test('the event loop keeps turning: no stretch of 50 ms of work on the calling thread, where the synchronous read takes far more', async () => {
    const sync = await longestStretch(async () => openScenario(big, 'x'));
    const threaded = await longestStretch(() => openScenarioInThreads(big, 'x'));
    const cpu = threadCpuMs() !== undefined;
    // The comparison has teeth only if reading this account at once blocks for long.
    assert.ok((cpu ? sync.cpuMs : sync.wallMs) >= 100, `the synchronous read took only ${JSON.stringify(sync)}`);
    assert.ok(threaded.ticks >= 20, `the event loop turned only ${threaded.ticks} times`);
    if (cpu)
      assert.ok(
        threaded.cpuMs < 50,
        `a stretch of ${threaded.cpuMs.toFixed(1)} ms on the calling thread (synchronous: ${sync.cpuMs.toFixed(0)} ms)`,
      );
    // Wall time counts the neighbours on a loaded machine too: only a loose bound.
    assert.ok(threaded.wallMs < sync.wallMs, `wall ${threaded.wallMs.toFixed(0)} ms against ${sync.wallMs.toFixed(0)} ms synchronous`);
  });

  test('a bad file fails as the synchronous read fails: the first part in reading order names it', async () => {
    const cases: Array<[string, (dir: string) => void]> = [
      ['missing directory', (dir) => fs.rmSync(dir, { recursive: true })],
      ['bad CloudTrail', (dir) => fs.writeFileSync(path.join(dir, 'cloudtrail', 'lookup-events.json'), '{"Events": 3}')],
      [
        'bad CloudTrail and bad metrics',
        (dir) => {
          fs.writeFileSync(path.join(dir, 'cloudtrail', 'lookup-events.json'), '{');
          fs.writeFileSync(path.join(dir, 'cloudwatch', 'get-metric-data.json'), '[]');
        },
      ],
      [
        'bad metrics and bad functions',
        (dir) => {
          fs.writeFileSync(path.join(dir, 'cloudwatch', 'get-metric-data.json'), '{}');
          fs.writeFileSync(path.join(dir, 'lambda', 'list-functions.json'), '{"Functions": {}}');
        },
      ],
      [
        'bad failures',
        (dir) => {
          const file = path.join(dir, 'scenario.json');
          fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), failures: { x: 1 } }));
        },
      ],
    ];
    for (const [name, spoil] of cases) {
      const dir = path.join(tmp, name.replace(/ /g, '-'));
      fs.cpSync(DEMO, dir, { recursive: true });
      spoil(dir);
      const expected = (() => {
        try {
          openScenario(dir);
        } catch (err) {
          return err as Error;
        }
        throw new Error(`${name}: the synchronous read did not fail`);
      })();
      assert.ok(expected instanceof InputError, name);
      await assert.rejects(openScenarioInThreads(dir), (err: Error) => {
        assert.ok(err instanceof InputError, `${name}: ${err.name}`);
        assert.equal(err.message, expected.message, name);
        return true;
      });
    }
  });

  test('cancelled, it stops its threads and rejects', async () => {
    const controller = new AbortController();
    const opening = openScenarioInThreads(big, 'x', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(opening, (err: Error) => err.name === 'AbortError');
  });
});
