// Tests of the presentation decisions the HTML report, the diff webview and the tree share (src/report/presentation.ts), and that the HTML report follows them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricsSummary } from '../../src/core/model';
import { renderMetricsChart } from '../../src/report/html';
import {
  changeLabel,
  chartDrawing,
  CHART_MAX_WIDTH,
  CHART_MIN_WIDTH,
  collapsesEvidence,
  displayText,
  EVIDENCE_LIST_LIMIT,
  evidenceLayout,
  niceStep,
  seenRange,
  severityTone,
  statusLabel,
  statusMeaning,
  statusSign,
} from '../../src/report/presentation';
import { evidenceEntries } from '../../src/report/view-model';

const root = path.resolve(__dirname, '..', '..');

function metrics(invocations: number[], band = { mean: 100, low: 70, high: 140 }): MetricsSummary {
  const hours = invocations.map((_, i) => new Date(Date.UTC(2026, 10, 22, 20 + i)).toISOString());
  return {
    periodSeconds: 3600,
    hours,
    invocations,
    errors: invocations.map(() => 1),
    throttles: invocations.map(() => 0),
    expectedInvocations: hours.map(() => band),
    totals: { detect: { Invocations: invocations.reduce((a, b) => a + b, 0) }, baselineDailyMean: {} },
  };
}

describe('diff status', () => {
  test('one word and one sign per status; a status from a newer engine is shown as it is', () => {
    assert.deepEqual(['added', 'removed', 'unchanged'].map(statusLabel), ['new', 'gone', 'same']);
    assert.deepEqual(['added', 'removed', 'unchanged'].map(statusSign), ['+', '−', '=']);
    assert.equal(statusLabel('moved'), 'moved');
    assert.equal(statusSign('moved'), '?');
    assert.equal(statusLabel('constructor'), 'constructor', 'not a property of the object the labels are in');
  });

  test('where space is short only a change has a word; hovers say what the status means', () => {
    assert.deepEqual([changeLabel('added'), changeLabel('removed'), changeLabel('unchanged')], ['new', 'gone', undefined]);
    assert.equal(statusMeaning('peer', 'added'), 'new: not seen in the baseline');
    assert.equal(statusMeaning('apiCall', 'removed'), 'gone: called in the baseline, not now');
    assert.equal(statusMeaning('apiCall', 'unchanged'), 'called in the baseline');
  });

  test('severities this version does not know are styled as unknown', () => {
    assert.deepEqual(['high', 'medium', 'low', 'critical', '__proto__', undefined].map(severityTone), [
      'high',
      'medium',
      'low',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });
});

describe('text', () => {
  test('controls dropped, bidi controls shown, tab and line feed kept', () => {
    assert.equal(displayText('a\x00b\x1b[31mc\u202Ed\te\nf\x9b'), 'ab[31mc[U+202E]d\te\nf');
    assert.equal(displayText('\u2066x\u2069\u200E'), '[U+2066]x[U+2069][U+200E]');
    assert.equal(displayText(undefined), '');
  });

  test('first and last seen: the date once when both fall on the same day', () => {
    assert.equal(seenRange('2026-11-22T20:07:00Z', '2026-11-22T23:59:00Z'), '2026-11-22 20:07Z – 23:59Z');
    assert.equal(seenRange('2026-11-21T20:07:00Z', '2026-11-22T01:00:00Z'), '2026-11-21 20:07Z – 2026-11-22 01:00Z');
    assert.equal(seenRange('2026-11-22T20:07:00Z', undefined), '2026-11-22 20:07Z');
    assert.equal(seenRange(undefined, undefined), '');
  });
});

describe('evidence', () => {
  test('one collapse rule: samples and event ids always, other lists past 3 items or with an item over 60 characters', () => {
    assert.equal(collapsesEvidence('samples', ['a']), true);
    assert.equal(collapsesEvidence('eventIds', ['e-1']), true);
    assert.equal(collapsesEvidence('candidates', ['a', 'b', 'c']), false);
    assert.equal(collapsesEvidence('candidates', ['a', 'b', 'c', 'd']), true);
    assert.equal(collapsesEvidence('errorMessages', ['x'.repeat(60)]), false);
    assert.equal(collapsesEvidence('errorMessages', ['x'.repeat(61)]), true);
  });

  test('facts formatted by kind, lists capped with a count of the rest', () => {
    const ids = Array.from({ length: EVIDENCE_LIST_LIMIT + 5 }, (_, i) => `e-${i}`);
    const { facts, lists } = evidenceLayout(
      evidenceEntries({
        firstSeen: '2026-11-22T14:03:00Z',
        bytes: 5120,
        flows: 14000,
        candidates: ['A', 'B'],
        eventIds: ids,
        shared: true,
      }),
    );
    assert.deepEqual(
      facts.map((f) => [f.label, f.text, f.numeric]),
      [
        ['first seen', '2026-11-22 14:03Z', false],
        ['candidates', 'A, B', false],
        ['bytes', '5.0 KiB', true],
        ['flows', '14,000', true],
        ['shared', 'true', false],
      ],
    );
    assert.equal(lists.length, 1);
    assert.equal(lists[0]!.label, 'event ids');
    assert.equal(lists[0]!.total, 25);
    assert.deepEqual(lists[0]!.shown, ids.slice(0, EVIDENCE_LIST_LIMIT));
    assert.equal(lists[0]!.more, '… 5 more');
  });
});

describe('chart', () => {
  test('gridlines on a round step, up to the first one at or above the highest value', () => {
    assert.equal(niceStep(700, 4), 200);
    assert.equal(niceStep(9, 4), 2.5);
    assert.equal(niceStep(0, 4), 0.25);
    const d = chartDrawing(metrics([100, 110, 640, 700, 120, 95]), 760, 24)!;
    assert.deepEqual(
      d.yTicks.map((t) => t.text),
      ['0', '200', '400', '600', '800'],
    );
    assert.equal(d.yTicks[0]!.y, String(d.plot.bottom), 'zero is the bottom of the plot');
    assert.equal(d.yTicks[4]!.y, String(d.plot.top), 'the top tick is the top of the plot');
  });

  test('drawn at the width it has, within bounds; every period a point, those above the band marked', () => {
    const m = metrics([100, 110, 640, 700, 120, 95]);
    assert.equal(chartDrawing(m, 100)!.width, CHART_MIN_WIDTH);
    assert.equal(chartDrawing(m, 5000)!.width, CHART_MAX_WIDTH);
    const d = chartDrawing(m, 500, 24)!;
    assert.equal(d.width, 500);
    assert.equal(d.points.length, 6);
    assert.deepEqual(
      d.points.map((p) => p.over),
      [false, false, true, true, false, false],
    );
    assert.equal(d.points[0]!.cx, String(d.plot.left));
    assert.equal(d.points[5]!.cx, String(d.plot.right));
    assert.equal(d.points[2]!.tip, '2026-11-22 22:00Z: 640 invocations, expected 70–140, 1 errors');
    assert.equal(d.bands.length, 1);
    assert.deepEqual(
      d.xTicks.map((t) => [t.hour, t.day]),
      [
        ['20:00', '2026-11-22'],
        ['21:00', undefined],
        ['22:00', undefined],
        ['23:00', undefined],
        ['00:00', '2026-11-23'],
        ['01:00', undefined],
      ],
    );
    assert.deepEqual(
      d.legend.map((l) => l.key),
      ['invocations', 'over', 'band', 'mean', 'errors'],
    );
    assert.match(d.label, /^Invocations per hour in the last 24 h against the baseline's expected band/);
    assert.equal(chartDrawing({ ...m, hours: [] }, 500), undefined, 'nothing to draw');
  });

  test('the HTML report draws exactly the drawing (the webview draws the same at its own width)', () => {
    const m = metrics([100, 110, 640, 700, 120, 95]);
    const d = chartDrawing(m, CHART_MAX_WIDTH, 24)!;
    const svg = renderMetricsChart(m, 24);
    const circles = [...svg.matchAll(/<circle class="(lb-over|lb-inv)" cx="([^"]+)" cy="([^"]+)"/g)].map((c) => [
      c[2],
      c[3],
      c[1] === 'lb-over',
    ]);
    assert.deepEqual(
      circles,
      d.points.map((p) => [p.cx, p.cy, p.over]),
    );
    assert.ok(svg.includes(`<polyline class="lb-inv" points="${d.invocations}"/>`));
    assert.ok(svg.includes(`<polygon class="lb-band" points="${d.bands[0]!.area}"/>`));
    assert.ok(svg.includes(`viewBox="0 0 ${d.width} ${d.height}"`));
  });

  test('a band with gaps (a report read from disk may hold null) is drawn as separate runs', () => {
    const m = metrics([10, 10, 10, 10, 10]);
    const b = { mean: 10, low: 5, high: 15 };
    m.expectedInvocations = JSON.parse(JSON.stringify([b, null, b, b])) as MetricsSummary['expectedInvocations'];
    assert.equal(chartDrawing(m, 600)!.bands.length, 2);
  });
});

describe('the module', () => {
  test('is pure: imports only the report and engine modules (the webview bundle and Node both load it)', () => {
    const source = fs.readFileSync(path.join(root, 'src', 'report', 'presentation.ts'), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    assert.ok(imports.length > 0);
    for (const spec of imports) assert.match(spec!, /^\.\/|^\.\.\/core\//, `${spec} is a report or engine module`);
  });

  test('the renderers keep no copy of what it decides', () => {
    const read = (...p: string[]) => fs.readFileSync(path.join(root, 'src', ...p), 'utf8');
    for (const [file, text] of [
      ['report/html.ts', read('report', 'html.ts')],
      ['webview/render.ts', read('webview', 'render.ts')],
      ['webview/chart.ts', read('webview', 'chart.ts')],
      ['webview/dom.ts', read('webview', 'dom.ts')],
      ['extension/tree/functions-tree.ts', read('extension', 'tree', 'functions-tree.ts')],
    ] as const) {
      assert.doesNotMatch(text, /added: '(new|\+)'/, `${file}: status labels`);
      assert.doesNotMatch(text, /MAX_LISTED|\\u202A/, `${file}: the list limit or the bidi set`);
      assert.doesNotMatch(text, /function (plural|niceCeil|niceStep|coord|severityClass)\(/, `${file}: a helper of its own`);
    }
  });
});
