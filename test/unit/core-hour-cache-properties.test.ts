// The cache of closed hours as a property: over random sequences of scans carrying one cache, a cached scan finds what an uncached scan of the same data finds.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { withHourCache } from '../../src/core/cache/cached-source';
import { MemoryHourCacheStore } from '../../src/core/cache/memory-store';
import type { ScanReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { HOUR_MS } from '../../src/core/time';
import { openScenario } from '../../src/replay/scenario';
import { comparable, countingSource, insightsLike, lakeLike, liveLike } from '../support/hour-cache';

const DIR = path.join(__dirname, '..', 'fixtures', 'scenarios', 'demo');
const RECORDED_AT = Date.parse('2026-11-23T00:00:00Z');

const recording = liveLike(openScenario(DIR, 'demo', { flowThreads: { threads: 1 } }));

for (const [name, source] of [
  ['raw flow records', recording],
  ['flow rows aggregated as Logs Insights does', insightsLike(recording)],
  ['calls aggregated as CloudTrail Lake does', lakeLike(recording)],
] as const) {
  describe(`cache of closed hours: cached scans equal uncached ones (${name})`, () => {
    const uncached = new Map<string, Promise<ScanReport>>();
    const plain = (now: number, functions: string[], baselineDays: number, detectHours: number) => {
      const id = JSON.stringify([now, functions, baselineDays, detectHours]);
      if (!uncached.has(id)) uncached.set(id, scan(source, { now, clock: () => now, functions, baselineDays, detectHours }));
      return uncached.get(id)!;
    };

    test('random sequences of scans (times, functions, baseline and window lengths) with one cache carried across', async () => {
      const all = (await source.listFunctions(new AbortController().signal)).map((f) => f.name);
      const scanArb = fc.record({
        // Steps forward: minutes (a rescan a moment later) to a day and a half, not on the hour.
        stepMinutes: fc.integer({ min: 1, max: 36 * 60 }),
        functions: fc.subarray(all, { minLength: 1 }),
        baselineDays: fc.integer({ min: 1, max: 12 }),
        detectHours: fc.constantFrom(24, 24, 24, 6, 48),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 72 * 60 }),
          fc.array(scanArb, { minLength: 2, maxLength: 3 }),
          async (startMinutes, scans) => {
            const store = new MemoryHourCacheStore();
            let now = RECORDED_AT - 4 * 24 * HOUR_MS + startMinutes * 60_000;
            for (const s of scans) {
              now = Math.min(RECORDED_AT, now + s.stepMinutes * 60_000);
              const at = now;
              const cached = withHourCache(source, { store, clock: () => at });
              const got = await scan(cached, {
                now: at,
                clock: () => at,
                functions: s.functions,
                baselineDays: s.baselineDays,
                detectHours: s.detectHours,
              });
              const want = await plain(at, s.functions, s.baselineDays, s.detectHours);
              assert.deepEqual(comparable(got), comparable(want), `scan at ${new Date(at).toISOString()} ${JSON.stringify(s)}`);
              assert.ok(got.reads?.cache, 'the report says what the cache answered');
            }
          },
        ),
        { numRuns: 6, seed: 14 },
      );
    });

    test('a second scan a moment later fetches only the trailing hours', async () => {
      const store = new MemoryHourCacheStore();
      const now = RECORDED_AT - 30 * 60_000;
      const first = countingSource(source);
      const firstReport = await scan(withHourCache(first, { store, clock: () => now }), { now, clock: () => now });
      const later = now + 5 * 60_000;
      const second = countingSource(source);
      const secondReport = await scan(withHourCache(second, { store, clock: () => later }), { now: later, clock: () => later });
      assert.deepEqual(comparable(secondReport), comparable(await plain(later, [], 14, 24)));
      // Each request of the second scan asks for at most the margin's hours and the open hour: three. (Without a trail query
      // engine, trailCalls answers undefined, costing nothing, and the scan pages LookupEvents instead: not a fetch.)
      const lake = first.requests.some((r) => r.what === 'trailCalls') && !first.requests.some((r) => r.what === 'lookupEvents');
      const fetches = (c: typeof first) => c.requests.filter((r) => lake || r.what !== 'trailCalls');
      assert.equal(lake, name.includes('Lake'));
      for (const r of fetches(second)) assert.ok(r.end - r.start <= 3 * HOUR_MS, `${r.what} asked ${(r.end - r.start) / HOUR_MS} hours`);
      const hoursAsked = (rs: typeof first.requests) => rs.reduce((n, r) => n + (r.end - r.start) / HOUR_MS, 0);
      assert.ok(
        hoursAsked(fetches(second)) * 10 <= hoursAsked(fetches(first)),
        `${hoursAsked(fetches(second))} vs ${hoursAsked(fetches(first))}`,
      );
      const cache = secondReport.reads!.cache!;
      assert.ok(cache.hoursFromCache > 10 * cache.hoursFetched, JSON.stringify(cache));
      assert.equal(firstReport.reads!.cache!.hoursFromCache, 0);
      assert.equal(store.saves, 2);
      console.log(
        `first scan: ${first.requests.length} request(s), ${hoursAsked(fetches(first))} key-range hour(s); second: ${fetches(second).length} request(s), ${hoursAsked(fetches(second))} hour(s); cache ${JSON.stringify(cache)}`,
      );
    });
  });
}
