// Deploy context in the views (issue 9): one sentence from the shared presentation module in the diff webview's model and the HTML and text reports, the evidence entries without the raw object, and the findings "Accept as normal" takes together after one change; on the traps scenario, whose pricing-engine call started 1 h 41 min after its code was updated.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DeployEvidence, Finding, FunctionReport, ScanReport } from '../../src/core/model';
import { scan } from '../../src/core/scan';
import { findingsAfterDeploy, sameDeploy } from '../../src/extension/accept-scope';
import { buildDiffViewModel } from '../../src/extension/webview/diff-model';
import { generateScenario } from '../../src/gen/generate';
import { optionsFromArgv } from '../../src/gen/main';
import { openScenario } from '../../src/replay/scenario';
import { escapeHtml } from '../../src/report/escape';
import { renderHtml } from '../../src/report/html';
import { deploySentence, elapsed, NO_CHANGE_BEFORE } from '../../src/report/presentation';
import { renderText } from '../../src/report/text';
import { deployOf, evidenceEntries } from '../../src/report/view-model';

const DEPLOY: DeployEvidence = {
  eventName: 'UpdateFunctionCode20150331v2',
  time: '2026-11-22T04:07:25Z',
  by: 'deploy-pipeline/codebuild-3238c9d1',
  eventId: 'fd079996-a7d1-483b-a71b-c7a3e8855d0c',
  minutesBefore: 101,
};
const SENTENCE = 'Started 1 h 41 min after UpdateFunctionCode20150331v2 at 2026-11-22 04:07Z by deploy-pipeline/codebuild-3238c9d1';

function finding(id: string, evidence: Finding['evidence']): Finding {
  return {
    id,
    kind: 'new-api-call',
    subject: `s3.amazonaws.com:${id}`,
    severity: 'medium',
    attribution: 'exact',
    title: `New call ${id}`,
    detail: 'd',
    evidence,
  };
}

describe('deploySentence', () => {
  test('names the change, how long before, when and by whom', () => {
    assert.equal(deploySentence({ firstSeen: '2026-11-22T05:49:03Z', deploy: DEPLOY }), SENTENCE);
  });

  test('without a caller, from LastModified, and within the minute', () => {
    const anonymous: DeployEvidence = { ...DEPLOY };
    delete anonymous.by;
    assert.equal(deploySentence({ deploy: anonymous }), 'Started 1 h 41 min after UpdateFunctionCode20150331v2 at 2026-11-22 04:07Z');
    assert.equal(
      deploySentence({ deploy: { eventName: 'LastModified', time: '2026-11-22T04:07:25.123+0000', minutesBefore: 0 } }),
      "Started less than a minute after the function was last modified (ListFunctions' LastModified) at 2026-11-22 04:07Z",
    );
    assert.deepEqual([0, 1, 59, 60, 61, 120, 1439].map(elapsed), [
      'less than a minute',
      '1 min',
      '59 min',
      '1 h',
      '1 h 1 min',
      '2 h',
      '23 h 59 min',
    ]);
  });

  test('no change before, or nothing said', () => {
    assert.equal(deploySentence({ noChangeBefore: true }), NO_CHANGE_BEFORE);
    assert.equal(deploySentence({ firstSeen: '2026-11-22T05:49:03Z' }), undefined);
    assert.equal(deploySentence(undefined), undefined);
  });

  test('a malformed deploy (a report from elsewhere) is no sentence: it stays in the evidence as data', () => {
    for (const deploy of [
      'UpdateFunctionCode',
      42,
      ['x'],
      { eventName: 'X', time: 'T' },
      { ...DEPLOY, minutesBefore: -5 },
      { ...DEPLOY, minutesBefore: Infinity },
      { ...DEPLOY, eventName: '' },
    ]) {
      assert.equal(deployOf({ deploy } as Finding['evidence']), undefined, JSON.stringify(deploy));
      assert.equal(deploySentence({ deploy } as Finding['evidence']), undefined);
      const entry = evidenceEntries({ deploy } as Finding['evidence']).find((e) => e.key === 'deploy');
      assert.ok(entry, `kept as data: ${JSON.stringify(deploy)}`);
    }
  });
});

describe('evidenceEntries with deploy context', () => {
  test('the deploy is its event id only, after the other facts; noChangeBefore is not a fact of its own', () => {
    const entries = evidenceEntries({ firstSeen: '2026-11-22T05:49:03Z', calls: 4, deploy: DEPLOY, eventIds: ['e1'] });
    assert.deepEqual(
      entries.map((e) => e.key),
      ['firstSeen', 'calls', 'deployEventId', 'eventIds'],
    );
    assert.deepEqual(entries[2], { key: 'deployEventId', label: 'deploy event id', value: DEPLOY.eventId });
    assert.ok(!JSON.stringify(entries).includes('codebuild'), 'the raw object is not shown: the sentence says it');
    assert.deepEqual(
      evidenceEntries({ firstSeen: '2026-11-22T05:49:03Z', noChangeBefore: true }).map((e) => e.key),
      ['firstSeen'],
    );
  });
});

describe('findingsAfterDeploy (Accept as Normal after a deploy)', () => {
  const other: DeployEvidence = { ...DEPLOY, eventId: 'another-event', time: '2026-11-21T04:07:25Z' };
  const a = finding('a', { deploy: DEPLOY });
  const b = finding('b', { deploy: { ...DEPLOY, minutesBefore: 300 } });
  const c = finding('c', { deploy: other });
  const d = finding('d', { noChangeBefore: true });
  const e = finding('e', {});
  const fn: Pick<FunctionReport, 'findings'> = { findings: [c, b, d, a, e] };

  test('the chosen finding first, then the others that followed the same change, in the report order', () => {
    const group = findingsAfterDeploy(fn, a);
    assert.ok(group);
    assert.deepEqual(
      group.findings.map((f) => f.id),
      ['a', 'b'],
    );
    assert.equal(group.deploy.eventId, DEPLOY.eventId);
    assert.deepEqual(
      findingsAfterDeploy(fn, c)?.findings.map((f) => f.id),
      ['c'],
    );
  });

  test('no group for a finding with no deploy before it', () => {
    assert.equal(findingsAfterDeploy(fn, d), undefined);
    assert.equal(findingsAfterDeploy(fn, e), undefined);
  });

  test('same change: the event id when both have one, else the event name and the instant', () => {
    assert.ok(sameDeploy(DEPLOY, { ...DEPLOY, time: 'whatever' }));
    assert.ok(!sameDeploy(DEPLOY, { ...DEPLOY, eventId: 'x' }));
    const lastModified = { eventName: 'LastModified', time: '2026-11-22T04:07:25.000+0000', minutesBefore: 3 };
    assert.ok(sameDeploy(lastModified, { ...lastModified, time: '2026-11-22T04:07:25Z', minutesBefore: 9 }));
    assert.ok(!sameDeploy(lastModified, { ...lastModified, time: '2026-11-22T04:08:25Z' }));
    assert.ok(
      !sameDeploy(lastModified, { ...DEPLOY, eventId: undefined as unknown as string }),
      'another event at the same time is another change',
    );
  });
});

describe('the traps scenario: the call that followed a deploy, in every view', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-deploy-views-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let report: ScanReport;
  let pricing: FunctionReport;
  let followed: Finding;

  before(async () => {
    const dir = path.join(tmp, 'traps');
    await generateScenario(optionsFromArgv(['--profile', 'traps', '--seed', '1', '--out', dir]));
    report = await scan(openScenario(dir, 'traps'));
    const fn = report.functions.find((f) => f.name === 'pricing-engine');
    assert.ok(fn, 'pricing-engine is in the traps scenario');
    pricing = fn;
    const f = pricing.findings.find((x) => x.kind === 'new-api-call');
    assert.ok(f, 'its new call is found');
    followed = f;
  });

  test("the engine named the deploy pipeline's code update, 1 h 41 min before", () => {
    const d = deployOf(followed.evidence);
    assert.ok(d, 'evidence.deploy');
    assert.equal(d.eventName, 'UpdateFunctionCode20150331v2');
    assert.equal(d.minutesBefore, 101);
    assert.match(d.by ?? '', /^deploy-pipeline\/codebuild-/);
    assert.match(
      deploySentence(followed.evidence) ?? '',
      /^Started 1 h 41 min after UpdateFunctionCode20150331v2 at 2026-11-22 04:07Z by deploy-pipeline\/codebuild-\w+$/,
    );
  });

  test('the diff webview\'s model carries the sentence for that finding, and "no change" for the others that had none', () => {
    const view = buildDiffViewModel(report, pricing, { found: false });
    const card = view.findings.find((f) => f.id === followed.id);
    assert.equal(card?.deploy, deploySentence(followed.evidence));
    assert.ok(!card?.evidence.some((e) => e.key === 'deploy'), 'not repeated as JSON in the evidence');
    assert.ok(card?.evidence.some((e) => e.key === 'deployEventId' && e.value === deployOf(followed.evidence)?.eventId));
    const others = report.functions
      .flatMap((fn) => buildDiffViewModel(report, fn, { found: false }).findings)
      .filter((f) => f.id !== followed.id);
    assert.ok(others.length > 0);
    for (const f of others) assert.ok(f.deploy === undefined || f.deploy === NO_CHANGE_BEFORE || f.deploy.startsWith('Started '), f.deploy);
    assert.ok(
      others.some((f) => f.deploy === NO_CHANGE_BEFORE),
      'a finding with no change before it says so',
    );
  });

  test('the HTML and text reports say the same sentence', () => {
    const sentence = deploySentence(followed.evidence)!;
    const html = renderHtml(report);
    assert.ok(html.includes(`<p class="lb-deploy muted">${escapeHtml(sentence)}</p>`));
    assert.ok(html.includes(escapeHtml(NO_CHANGE_BEFORE)));
    const text = renderText(report, { color: false });
    assert.ok(
      text.split('\n').some((line) => line.trim() === sentence),
      'its own line in the text report',
    );
  });
});

describe('hostile deploy callers are text in the reports', () => {
  test('HTML escapes it, the terminal drops control sequences', () => {
    const by = '<img src=x onerror=alert(1)>\x1b[31m\u202e';
    const f = finding('h', { firstSeen: '2026-11-22T05:49:03Z', deploy: { ...DEPLOY, by } });
    const fn = {
      name: 'f',
      arn: 'arn:aws:lambda:us-east-1:1:function:f',
      inVpc: false,
      enis: [],
      peers: [],
      apiCalls: [],
      findings: [f],
      coverage: {},
    } as unknown as FunctionReport;
    const report = {
      formatVersion: 1,
      accountId: '1',
      region: 'us-east-1',
      window: {
        baselineStart: '2026-11-15T00:00:00Z',
        baselineEnd: '2026-11-22T00:00:00Z',
        detectStart: '2026-11-22T00:00:00Z',
        detectEnd: '2026-11-23T00:00:00Z',
      },
      functions: [fn],
      warnings: [],
    } as unknown as ScanReport;
    const html = renderHtml(report);
    assert.ok(!html.includes('<img'), 'no markup from the caller');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    const text = renderText(report, { color: false });
    assert.ok(!text.includes('\x1b'), 'no escape sequence');
    assert.ok(text.includes('by <img src=x onerror=alert(1)>'));
  });
});
