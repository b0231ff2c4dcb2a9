// Tests of the behaviour-diff webview's host side outside VS Code: the view model, the message validator and the HTML shell.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { FunctionReport, ScanReport } from '../../src/core/model';
import { coverageStatusOf } from '../../src/core/coverage';
import { scan } from '../../src/core/scan';
import { openScenario } from '../../src/replay/scenario';
import { apiDiffRows, peerDiffRows, sortFindings } from '../../src/report/view-model';
import { buildDiffViewModel } from '../../src/extension/webview/diff-model';
import { contentSecurityPolicy, createNonce, panelHtml } from '../../src/extension/webview/panel-html';
import { parseWebviewMessage, type DiffViewModel } from '../../src/shared/protocol';

const DEMO = path.join(__dirname, '..', '..', 'media', 'demo');

let report: ScanReport;

/** Only what JSON carries unchanged: strings, finite numbers, booleans, null, arrays, plain objects (absent = undefined properties). */
function assertPlainJson(value: unknown, at: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') return assert.ok(Number.isFinite(value), `${at} is a finite number`);
  if (Array.isArray(value))
    return value.forEach((v, i) => {
      assert.notEqual(v, undefined, `${at}[${i}] is not undefined`);
      assertPlainJson(v, `${at}[${i}]`);
    });
  assert.equal(typeof value, 'object', `${at} is data`);
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${at} is a plain object`);
  for (const [k, v] of Object.entries(value as object)) if (v !== undefined) assertPlainJson(v, `${at}.${k}`);
}
function fnNamed(r: ScanReport, name: string): FunctionReport {
  const fn = r.functions.find((f) => f.name === name);
  assert.ok(fn, `${name} is in the demo`);
  return fn;
}

before(async () => {
  report = await scan(openScenario(DEMO, 'demo account'));
});

describe('buildDiffViewModel', () => {
  test("OrderApi: findings most severe first, the function's own API calls apart from the Lambda service's", () => {
    const fn = fnNamed(report, 'OrderApi');
    const view = buildDiffViewModel(report, fn, { found: true, file: 'index.mjs' });
    assert.equal(view.functionName, 'OrderApi');
    assert.equal(view.accountId, report.accountId);
    assert.equal(view.region, report.region);
    assert.equal(view.source, 'demo account');
    assert.equal(view.baselineDays, 14);
    assert.equal(view.detectHours, 24);
    assert.equal(view.sourceFound, true);
    assert.equal(view.sourceFile, 'index.mjs');

    assert.deepEqual(
      view.findings.map((f) => f.id),
      sortFindings(fn.findings).map((f) => f.id),
      'the view model order, not a second one',
    );
    assert.deepEqual(view.findings.map((f) => f.kind).sort(), ['access-denied', 'invocation-spike', 'new-api-call']);
    const listBuckets = view.findings.find((f) => f.kind === 'new-api-call')!;
    assert.deepEqual(listBuckets.apiCall, { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' });
    assert.equal(view.findings.find((f) => f.kind === 'invocation-spike')!.apiCall, undefined, 'only API findings point at a call');
    assert.ok(
      listBuckets.evidence.some((e) => e.key === 'eventIds' && Array.isArray(e.value)),
      'evidence entries come along',
    );

    const rows = apiDiffRows(fn);
    assert.deepEqual(
      view.apiCalls,
      rows.filter((r) => r.caller === 'function'),
    );
    assert.deepEqual(
      view.serviceCalls,
      rows.filter((r) => r.caller === 'lambda-service'),
    );
    assert.deepEqual(
      view.serviceCalls.map((r) => r.subject),
      ['kms.amazonaws.com:Decrypt'],
    );
    assert.deepEqual(
      view.apiCalls
        .filter((r) => r.status === 'added')
        .map((r) => r.subject)
        .sort(),
      ['iam.amazonaws.com:CreateUser', 's3.amazonaws.com:ListBuckets'],
    );
    assert.deepEqual(view.apiCounts, { total: 4, added: 2, removed: 0, unchanged: 2 });
    assert.deepEqual(view.peers, [], 'not in a VPC');
    assert.deepEqual(view.coverageGaps, []);
    assert.ok(view.metrics && view.metrics.hours.length === 24 && view.metrics.expectedInvocations.length === 24);
  });

  test('RDSQueryLogger: peers as the report view model diffs them', () => {
    const fn = fnNamed(report, 'RDSQueryLogger');
    const view = buildDiffViewModel(report, fn, { found: false, file: 'ignored.py' });
    assert.deepEqual(view.peers, peerDiffRows(fn));
    assert.ok(
      view.peers.some((p) => p.status === 'added' && p.port === 22),
      'the new SSH peer',
    );
    assert.equal(view.peerCounts.total, view.peers.length);
    assert.equal(view.sourceFound, false);
    assert.equal(view.sourceFile, undefined, 'no file name when no source was found');
  });

  test("every peer and API finding of the demo names a row's subject, so the row is highlighted with its severity", () => {
    let checked = 0;
    for (const fn of report.functions) {
      const view = buildDiffViewModel(report, fn, { found: true });
      const rows = new Map<string, string | undefined>([...view.peers, ...view.apiCalls].map((r) => [r.subject, r.severity]));
      for (const f of fn.findings.filter((x) =>
        ['new-peer', 'rejected-traffic', 'traffic-spike', 'new-api-call', 'access-denied'].includes(x.kind),
      )) {
        assert.ok(rows.has(f.subject), `${fn.name}: a row for ${f.subject} among ${[...rows.keys()].join(', ')}`);
        assert.ok(rows.get(f.subject), `${fn.name}: ${f.subject} is highlighted`);
        checked++;
      }
    }
    assert.ok(checked >= 3, `the demo has peer and API findings (${checked})`);
  });

  test('every function of the demo makes a view that survives postMessage (JSON) unchanged', () => {
    for (const fn of report.functions) {
      const view = buildDiffViewModel(report, fn, { found: true, file: 'handler.py' });
      assertPlainJson(view, fn.name);
    }
  });

  test('coverage gaps and missing metrics are passed on, not guessed', () => {
    const copy = structuredClone(report);
    const fn = fnNamed(copy, 'OrderApi');
    // As the engine writes a failed source: the sentence for people and the status code branches on.
    fn.coverage.cloudtrail = 'failed: access denied: needs cloudtrail:LookupEvents';
    fn.coverageStatus = {
      ...coverageStatusOf(fn),
      cloudtrail: { status: 'failed', errorKind: 'access-denied', iamAction: 'cloudtrail:LookupEvents' },
    };
    delete fn.metrics;
    const view = buildDiffViewModel(copy, fn, { found: false });
    assert.deepEqual(view.coverageGaps, [{ source: 'cloudtrail', value: 'failed: access denied: needs cloudtrail:LookupEvents' }]);
    assert.equal('metrics' in view, false);
  });

  describe('hostile strings pass through as data, unchanged', () => {
    const HOSTILE = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '"><svg onload=alert(1)>',
      '[click me](command:workbench.action.quit)',
      'command:lambdaBehavior.accept?%5B%22x%22%5D',
      'admin\u202Efdp.exe \u2066x\u2069',
      '&lt;not an entity&gt; &amp;',
      `${'A'.repeat(100 * 1024)}<b>end</b>`,
    ];

    for (const hostile of HOSTILE) {
      test(JSON.stringify(hostile.length > 60 ? `${hostile.slice(0, 20)}… (${hostile.length} chars)` : hostile), () => {
        const copy = structuredClone(report);
        copy.accountId = hostile;
        copy.source = hostile;
        const fn = fnNamed(copy, 'RDSQueryLogger');
        fn.name = hostile;
        fn.handler = hostile;
        fn.peers[0]!.resource = hostile;
        fn.apiCalls[0]!.eventName = hostile;
        fn.coverage.network = `partial: ${hostile}`;
        fn.coverageStatus = { ...coverageStatusOf(fn), network: { status: 'partial' } };
        const f = fn.findings[0]!;
        f.title = hostile;
        f.detail = hostile;
        f.recommendation = hostile;
        f.evidence = { ...f.evidence, errorMessages: [hostile], note: hostile };

        const view: DiffViewModel = buildDiffViewModel(copy, fn, { found: true, file: hostile });
        assert.equal(view.functionName, hostile);
        assert.equal(view.accountId, hostile);
        assert.equal(view.source, hostile);
        assert.equal(view.handler, hostile);
        assert.equal(view.sourceFile, hostile);
        assert.ok(
          view.peers.some((p) => p.resource === hostile),
          'peer resource',
        );
        assert.ok(
          view.apiCalls.concat(view.serviceCalls).some((c) => c.eventName === hostile && c.subject.endsWith(`:${hostile}`)),
          'API call',
        );
        assert.deepEqual(view.coverageGaps, [{ source: 'network', value: `partial: ${hostile}` }]);
        const fv = view.findings.find((x) => x.id === f.id)!;
        assert.equal(fv.title, hostile);
        assert.equal(fv.detail, hostile);
        assert.equal(fv.recommendation, hostile);
        assert.deepEqual(fv.evidence.find((e) => e.key === 'errorMessages')?.value, [hostile]);
        assert.equal(fv.evidence.find((e) => e.key === 'note')?.value, hostile);
        assert.equal(JSON.parse(JSON.stringify(view)).functionName, hostile, 'and through JSON');
      });
    }
  });
});

describe('parseWebviewMessage', () => {
  test('accepts every message the webview sends, typed', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'openSource', extra: 1 }), { type: 'openSource' }, 'extra fields are dropped');
    assert.deepEqual(parseWebviewMessage({ type: 'rescan' }), { type: 'rescan' });
    assert.deepEqual(parseWebviewMessage({ type: 'revealApiCall', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' }), {
      type: 'revealApiCall',
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
    });
    assert.deepEqual(parseWebviewMessage({ type: 'accept', findingId: 'new-api-call:7cdf8490' }), {
      type: 'accept',
      findingId: 'new-api-call:7cdf8490',
    });
    const summary = { seq: 3, state: 'diff', rows: [], findings: [], counts: {}, chart: { kind: 'none', text: '' } };
    assert.deepEqual(parseWebviewMessage({ type: 'rendered', summary }), { type: 'rendered', summary });
  });

  test('ignores unknown types, wrong shapes and oversized fields', () => {
    for (const bad of [
      undefined,
      null,
      'ready',
      [],
      { type: 'eval', code: '1' },
      { type: 'constructor' },
      { type: '__proto__' },
      { type: 'revealApiCall', eventSource: 's3.amazonaws.com' },
      { type: 'revealApiCall', eventSource: 1, eventName: 'x' },
      { type: 'revealApiCall', eventSource: '', eventName: 'x' },
      { type: 'accept' },
      { type: 'accept', findingId: { id: 'x' } },
      { type: 'accept', findingId: 'x'.repeat(4096) },
      { type: 'rendered' },
      { type: 'rendered', summary: { seq: '1', state: 'diff', rows: [], findings: [], counts: {}, chart: {} } },
      { type: 'rendered', summary: { seq: 1, state: 'other', rows: [], findings: [], counts: {}, chart: {} } },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 80));
    }
  });
});

describe('the panel HTML', () => {
  const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
  const nonce = createNonce();
  const html = panelHtml({
    cspSource,
    nonce,
    scriptUri: `${cspSource}/ext/dist/webview.js`,
    styleUri: `${cspSource}/ext/dist/webview.css`,
  });

  test('has a default-src none CSP: only the nonced script, styles and images from the built assets', () => {
    const csp = contentSecurityPolicy(cspSource, nonce);
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; img-src ${cspSource} data:`);
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${csp}">`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  });

  test('loads one script, with the nonce, and no inline script or style', () => {
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts, [`<script id="lb-main" nonce="${nonce}" src="${cspSource}/ext/dist/webview.js">`]);
    assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, 'no inline script body');
    assert.doesNotMatch(html, /<style|style=/, 'no inline style');
    assert.match(html, /<link rel="stylesheet" href="[^"]+\/dist\/webview\.css">/);
  });

  test('nonces are 128 random bits, different every time', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => createNonce()));
    assert.equal(nonces.size, 50);
    for (const n of nonces) assert.equal(Buffer.from(n, 'base64').length, 16);
  });

  test('holds no report data: that only arrives by postMessage', () => {
    assert.doesNotMatch(html, /OrderApi|arn:aws|amazonaws/);
    assert.match(html, /<main id="app" aria-busy="true">/);
  });
});
