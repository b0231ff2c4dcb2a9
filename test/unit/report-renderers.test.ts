// Tests of the report view model and the text, SARIF and HTML renderers on one hand-built report.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Finding, FunctionReport, ScanReport } from '../../src/core/model';
import { renderText } from '../../src/report/text';
import { renderSarif, SARIF_SCHEMA } from '../../src/report/sarif';
import { REPORT_CSP, REPORT_CSS, renderApiDiff, renderHtml, renderMetricsChart, renderPeerDiff } from '../../src/report/html';
import { apiDiffRows, coverageLines, incompleteCoverage, peerDiffRows, summaryLine } from '../../src/report/view-model';

// ---------------------------------------------------------------- fixture

/** Where a test can plant hostile strings: everything that comes from AWS and reaches the screen. */
interface Plants {
  peerResource?: string;
  eventName?: string;
  tagValue?: string;
  errorMessage?: string;
  warning?: string;
  detail?: string;
}

function finding(
  fn: string,
  kind: Finding['kind'],
  subject: string,
  severity: Finding['severity'],
  title: string,
  extra: Partial<Finding> = {},
): Finding {
  return {
    id: `${fn}/${kind}/${subject}`,
    kind,
    subject,
    severity,
    attribution: 'exact',
    title,
    detail: `${title}: detail for ${subject}.`,
    evidence: { firstSeen: '2026-11-22T14:03:00Z', lastSeen: '2026-11-22T16:40:00Z' },
    ...extra,
  };
}

function buildReport(p: Plants = {}): ScanReport {
  const hours = Array.from({ length: 6 }, (_, i) => `2026-11-22T${String(12 + i).padStart(2, '0')}:00:00Z`);
  const rds: FunctionReport = {
    name: 'RDSQueryLogger',
    arn: 'arn:aws:lambda:us-east-1:123456789012:function:RDSQueryLogger',
    inVpc: true,
    runtime: 'python3.12',
    handler: 'app.handler',
    role: 'arn:aws:iam::123456789012:role/rds-logger',
    tags: { team: p.tagValue ?? 'data' },
    enis: [{ id: 'eni-0abc', privateIp: '10.0.1.9', subnetId: 'subnet-1', sharedWith: ['ReportBuilder'] }],
    peers: [
      {
        address: '10.0.3.14',
        port: 5432,
        protocol: 'tcp',
        resource: 'RDS (RDSNetworkInterface)',
        inBaseline: true,
        flows: 120,
        bytes: 91234,
        packets: 800,
        rejected: 0,
        baseline: { flows: 900, bytes: 700000, packets: 6000, rejected: 0 },
      },
      {
        address: '10.0.1.37',
        port: 22,
        protocol: 'tcp',
        resource: p.peerResource ?? 'EC2 instance (i-0bad)',
        inBaseline: false,
        flows: 14,
        bytes: 5120,
        packets: 60,
        rejected: 2,
        firstSeen: '2026-11-22T14:03:00Z',
        lastSeen: '2026-11-22T16:40:00Z',
        attribution: 'shared',
        candidates: ['RDSQueryLogger', 'ReportBuilder'],
      },
      {
        address: '52.94.5.10',
        port: 443,
        protocol: 'tcp',
        resource: 'AWS S3 (us-east-1)',
        inBaseline: true,
        flows: 0,
        bytes: 0,
        packets: 0,
        rejected: 0,
        baseline: { flows: 40, bytes: 1_000_000, packets: 900, rejected: 0 },
      },
    ],
    apiCalls: [
      {
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: 'GetSecretValue',
        count: 90,
        errors: 0,
        inBaseline: true,
        caller: 'function',
        baseline: { count: 700, errors: 0 },
      },
      {
        eventSource: 's3.amazonaws.com',
        eventName: p.eventName ?? 'PutObject',
        count: 3,
        errors: 0,
        inBaseline: false,
        caller: 'function',
      },
      { eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', count: 4, errors: 4, denied: 4, inBaseline: false, caller: 'function' },
      {
        eventSource: 'sqs.amazonaws.com',
        eventName: 'ReceiveMessage',
        count: 500,
        errors: 0,
        inBaseline: true,
        caller: 'lambda-service',
        baseline: { count: 4000, errors: 0 },
      },
      {
        eventSource: 'kms.amazonaws.com',
        eventName: 'Decrypt',
        count: 0,
        errors: 0,
        inBaseline: true,
        caller: 'function',
        baseline: { count: 12, errors: 0 },
      },
    ],
    findings: [
      finding(
        'RDSQueryLogger',
        'new-api-call',
        `s3.amazonaws.com:${p.eventName ?? 'PutObject'}`,
        'medium',
        'New AWS API call s3:PutObject',
      ),
      finding('RDSQueryLogger', 'new-peer', '10.0.1.37:22/tcp', 'high', 'New network peer 10.0.1.37:22 (SSH)', {
        attribution: 'shared',
        detail: p.detail ?? 'Never reached in the baseline.\nThe ENI is shared with ReportBuilder.',
        recommendation: 'Check the security group egress rules.',
        evidence: {
          firstSeen: '2026-11-22T14:03:00Z',
          flows: 14,
          bytes: 5120,
          candidates: ['RDSQueryLogger', 'ReportBuilder'],
          samples: ['2 123456789012 eni-0abc 10.0.1.9 10.0.1.37 50123 22 6 10 600 1 2 ACCEPT OK'],
        },
      }),
      finding('RDSQueryLogger', 'access-denied', 'sts.amazonaws.com:AssumeRole', 'high', 'Access denied: sts:AssumeRole', {
        evidence: {
          firstSeen: '2026-11-22T15:00:00Z',
          denied: 4,
          eventIds: ['e-1', 'e-2'],
          errorMessage: p.errorMessage ?? 'User is not authorized',
        },
      }),
    ],
    coverage: { network: 'complete: flow log fl-1 covers both windows', cloudtrail: 'complete', metrics: 'ok' },
  };
  const orders: FunctionReport = {
    name: 'OrderProcessor',
    arn: 'arn:aws:lambda:us-east-1:123456789012:function:OrderProcessor',
    inVpc: false,
    runtime: 'nodejs20.x',
    enis: [],
    peers: [],
    apiCalls: [
      {
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'PutItem',
        count: 1200,
        errors: 3,
        inBaseline: true,
        baseline: { count: 9000, errors: 10 },
      },
    ],
    findings: [
      finding('OrderProcessor', 'error-spike', 'Errors', 'low', 'Error rate above baseline'),
      finding('OrderProcessor', 'invocation-spike', 'Invocations', 'medium', 'Invocations 6x the baseline at 14:00'),
    ],
    metrics: {
      periodSeconds: 3600,
      hours,
      invocations: [100, 110, 640, 700, 120, 95],
      errors: [0, 1, 9, 12, 1, 0],
      throttles: [0, 0, 0, 0, 0, 0],
      expectedInvocations: hours.map(() => ({ mean: 100, low: 70, high: 140 })),
      totals: { detect: { Invocations: 1765, Errors: 23 }, baselineDailyMean: { Invocations: 2400, Errors: 4 } },
    },
    coverage: { network: 'not applicable: not in a VPC', cloudtrail: 'complete', metrics: 'complete' },
  };
  const clean = (name: string, coverage: FunctionReport['coverage']): FunctionReport => ({
    name,
    arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    inVpc: true,
    enis: [],
    peers: [
      {
        address: '10.0.2.2',
        port: 443,
        protocol: 'tcp',
        resource: 'VPC endpoint',
        inBaseline: true,
        flows: 5,
        bytes: 900,
        packets: 20,
        rejected: 0,
        baseline: { flows: 30, bytes: 5000, packets: 100, rejected: 0 },
      },
    ],
    apiCalls: [],
    findings: [],
    coverage,
  });
  return {
    formatVersion: 1,
    accountId: '123456789012',
    region: 'us-east-1',
    source: 'scenario test',
    generatedAt: '2026-11-23T00:00:00Z',
    window: {
      baselineStart: '2026-11-08T00:00:00Z',
      baselineEnd: '2026-11-22T00:00:00Z',
      detectStart: '2026-11-22T00:00:00Z',
      detectEnd: '2026-11-23T00:00:00Z',
    },
    functions: [
      clean('ZetaClean', { network: 'partial: flow log starts 2026-11-15', cloudtrail: 'complete', metrics: 'complete' }),
      orders,
      rds,
      clean('AlphaClean', { network: 'complete', cloudtrail: 'complete', metrics: 'complete' }),
    ],
    warnings: [p.warning ?? 'CloudTrail lookup was throttled twice; retried.'],
    stats: { flowRecords: 12345, flowRecordsAttributed: 12000, malformedFlowRecords: 3, trailEvents: 456 },
  };
}

const TERMINAL_HOSTILE = 'evil\x1b[31mRED\x1b]8;;http://x\x07link\x1b]8;;\x07\u202Ereversed';
const HTML_HOSTILE = [`<img src=x onerror=alert(1)>`, `"><script>alert(1)</script>`, `javascript:alert(1)`, `' onmouseover='alert(1)`].join(
  ' ',
);

// ---------------------------------------------------------------- view model

describe('view model', () => {
  const report = buildReport();
  const rds = report.functions.find((f) => f.name === 'RDSQueryLogger')!;

  test('peer rows: added, removed, unchanged in that order, with the finding severity on the row', () => {
    const rows = peerDiffRows(rds);
    assert.deepEqual(
      rows.map((r) => [r.status, r.subject]),
      [
        ['added', '10.0.1.37:22/tcp'],
        ['removed', '52.94.5.10:443/tcp'],
        ['unchanged', '10.0.3.14:5432/tcp'],
      ],
    );
    assert.equal(rows[0]!.severity, 'high');
    assert.deepEqual(rows[0]!.candidates, ['RDSQueryLogger', 'ReportBuilder']);
    assert.equal(rows[1]!.baseline?.bytes, 1_000_000);
    assert.equal(rows[2]!.severity, undefined);
  });

  test("API rows: the function's calls first, the Lambda service's apart and never flagged", () => {
    const rows = apiDiffRows(rds);
    assert.deepEqual(
      rows.map((r) => [r.caller, r.status, r.eventName]),
      [
        ['function', 'added', 'AssumeRole'],
        ['function', 'added', 'PutObject'],
        ['function', 'removed', 'Decrypt'],
        ['function', 'unchanged', 'GetSecretValue'],
        ['lambda-service', 'unchanged', 'ReceiveMessage'],
      ],
    );
    assert.equal(rows[0]!.severity, 'high');
    assert.equal(rows[0]!.denied, 4);
    assert.equal(rows[1]!.severity, 'medium');
  });

  test('summary line counts findings by severity over all functions', () => {
    assert.equal(summaryLine(report), '5 findings (2 high, 2 medium, 1 low) in 4 functions');
    const one = { ...report, functions: [{ ...rds, findings: rds.findings.slice(0, 1) }] };
    assert.equal(summaryLine(one), '1 finding (1 medium) in 1 function');
    assert.equal(summaryLine({ ...report, functions: [] }), '0 findings in 0 functions');
  });

  test('coverage: a report without structured coverage is read by its sentences (complete/ok are not gaps)', () => {
    assert.deepEqual(incompleteCoverage(report.functions[0]!), [{ source: 'network', value: 'partial: flow log starts 2026-11-15' }]);
    assert.deepEqual(incompleteCoverage(rds), []);
    assert.deepEqual(
      incompleteCoverage(report.functions[1]!).map((g) => g.source),
      ['network'],
    );
  });

  test('coverage: the structured status decides what is a gap; the sentence is what is shown', () => {
    const fn: FunctionReport = {
      ...rds,
      coverage: { network: 'covered the window', cloudtrail: 'lookups failed half way', metrics: 'nothing to read' },
      coverageStatus: {
        network: { status: 'complete' },
        cloudtrail: { status: 'failed', errorKind: 'access-denied', iamAction: 'cloudtrail:LookupEvents' },
        metrics: { status: 'not-applicable' },
      },
    };
    assert.deepEqual(incompleteCoverage(fn), [{ source: 'cloudtrail', value: 'lookups failed half way' }]);
    assert.deepEqual(
      coverageLines(fn).map((l) => [l.source, l.covered]),
      [
        ['network', true],
        ['cloudtrail', false],
        ['metrics', true],
      ],
    );
    // The structured status wins over a sentence that reads otherwise.
    const partial: FunctionReport = {
      ...fn,
      coverage: { ...fn.coverage, network: 'complete' },
      coverageStatus: { ...fn.coverageStatus!, network: { status: 'partial' } },
    };
    assert.deepEqual(
      incompleteCoverage(partial).map((g) => g.source),
      ['network', 'cloudtrail'],
    );
    const html = renderHtml({ ...report, functions: [fn] });
    assert.match(html, /<dt>cloudtrail<\/dt><dd><span class="lb-gap">lookups failed half way<\/span><\/dd>/);
    assert.match(html, /<dt>metrics<\/dt><dd><span class="lb-ok">nothing to read<\/span><\/dd>/);
    assert.match(renderText({ ...report, functions: [fn] }, { color: false }), /coverage cloudtrail: lookups failed half way/);
  });
});

// ---------------------------------------------------------------- text

describe('text renderer', () => {
  test('header, findings by severity with detail and evidence, clean functions, warnings, summary line', () => {
    const out = renderText(buildReport(), { color: false });
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0]!, /account 123456789012, region us-east-1/);
    assert.match(out, /source +scenario test/);
    assert.match(out, /baseline +2026-11-08 00:00Z -> 2026-11-22 00:00Z/);
    assert.match(out, /detection +2026-11-22 00:00Z -> 2026-11-23 00:00Z/);
    assert.match(out, /12,345 flow records \(12,000 attributed, 3 malformed\), 456 CloudTrail events/);

    // Functions with findings come first, most severe first; within a function high before medium.
    const rdsAt = out.indexOf('RDSQueryLogger');
    const ordersAt = out.indexOf('OrderProcessor');
    assert.ok(rdsAt > 0 && rdsAt < ordersAt, 'RDSQueryLogger (high) before OrderProcessor (medium)');
    const highAt = out.indexOf('New network peer 10.0.1.37:22 (SSH)');
    const deniedAt = out.indexOf('Access denied: sts:AssumeRole');
    const mediumAt = out.indexOf('New AWS API call s3:PutObject');
    assert.ok(
      deniedAt > 0 && highAt > deniedAt && mediumAt > highAt,
      'both highs (access-denied, then new-peer by kind) before the medium',
    );
    assert.match(out, /HIGH +new-peer +10\.0\.1\.37:22\/tcp +New network peer/);
    assert.ok(out.indexOf('Invocations 6x the baseline') < out.indexOf('Error rate above baseline'), 'medium before low');

    // Detail lines are indented under the finding; evidence essentials follow.
    assert.match(out, /\n {6}Never reached in the baseline\.\n {6}The ENI is shared with ReportBuilder\.\n/);
    assert.match(
      out,
      /first seen 2026-11-22 14:03Z; bytes 5\.0 KiB; flows 14; 1 sample; shared attribution among RDSQueryLogger, ReportBuilder/,
    );
    assert.match(out, /denied 4; 2 events/);
    assert.match(out, /-> Check the security group egress rules\./);

    // Behaviour summary per function, Lambda-service calls counted apart.
    assert.match(out, /peers 3 \(1 new, 1 gone\); API calls 4 \(2 new, 1 gone\); 1 by Lambda service/);
    assert.match(out, /peers n\/a \(no VPC\); API calls 1/);

    // Clean functions get one compact line each; coverage gaps are shown, complete coverage is not.
    assert.match(out, /\n {2}ok {2}AlphaClean \(in VPC\) {2}peers 1; API calls 0\n/);
    assert.match(out, /ZetaClean[^\n]*\n {4}coverage network: partial: flow log starts 2026-11-15\n/);
    assert.match(out, /coverage network: not applicable: not in a VPC/);
    assert.doesNotMatch(out, /coverage (cloudtrail|metrics)/);

    assert.ok(out.indexOf('Warnings (1):') > out.indexOf('ZetaClean'), 'warnings at the end');
    assert.match(out, /! CloudTrail lookup was throttled twice; retried\./);
    assert.equal(lines[lines.length - 1], '5 findings (2 high, 2 medium, 1 low) in 4 functions');
  });

  test('no colour means no escape character at all', () => {
    assert.ok(!renderText(buildReport(), { color: false }).includes('\x1b'));
  });

  test('colour is ANSI SGR only, around severities and the summary', () => {
    const out = renderText(buildReport(), { color: true });
    assert.ok(out.includes('\x1b[1m\x1b[31mHIGH'), 'high severity in bold red');
    const escapes = out.match(/\x1b[^m]*m/g) ?? [];
    assert.ok(escapes.length > 0);
    for (const esc of escapes) assert.match(esc, /^\x1b\[[0-9;]*m$/);
  });

  test('hostile strings from AWS cannot inject terminal sequences or reorder text', () => {
    const plants: Plants = {
      peerResource: TERMINAL_HOSTILE,
      eventName: `Put${TERMINAL_HOSTILE}`,
      tagValue: TERMINAL_HOSTILE,
      warning: TERMINAL_HOSTILE,
      detail: `line one\x1b[2J\rline two\n${TERMINAL_HOSTILE}`,
      errorMessage: TERMINAL_HOSTILE,
    };
    for (const color of [false, true]) {
      const out = renderText(buildReport(plants), { color });
      if (!color) assert.ok(!out.includes('\x1b'), 'no ESC without colour');
      // With colour, every ESC must be one of ours: a plain SGR.
      assert.equal(out.replace(/\x1b\[[0-9;]*m/g, '').includes('\x1b'), false, 'only SGR escapes remain');
      assert.ok(!out.includes('\x1b]'), 'no OSC');
      assert.ok(!out.includes('\x07') && !out.includes('\r'), 'no BEL, no CR');
      assert.ok(!out.includes('http://x'), 'the hyperlink target went with its OSC');
      assert.doesNotMatch(out, /[\u202A-\u202E\u2066-\u2069]/, 'no bidi controls');
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      assert.match(plain, /! evilREDlink\[U\+202E\]reversed/, 'the warning is kept, readable, with the bidi control made visible');
      assert.match(plain, /new-api-call +s3\.amazonaws\.com:PutevilREDlink\[U\+202E\]reversed/);
      assert.match(plain, /\n {6}line one\n {6}line two\n/, 'a CR starts a new line instead of overwriting one');
    }
  });
});

// ---------------------------------------------------------------- SARIF

interface AjvLike {
  addMetaSchema(schema: object): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
}

/**
 * The SARIF 2.1.0 schema as an npm package ships it (@microsoft/jest-sarif, a devDependency), with the
 * JSON-schema validator that package itself depends on.
 */
function loadSarifValidator(): (((data: unknown) => boolean) & { errors?: unknown }) | undefined {
  const local = createRequire(__filename);
  let pkg: string;
  try {
    pkg = local.resolve('@microsoft/jest-sarif/package.json');
  } catch {
    return undefined;
  }
  const req = createRequire(pkg);
  const Ajv = req('ajv') as new (opts: object) => AjvLike;
  const ajv = new Ajv({ schemaId: 'auto', allErrors: true, logger: false });
  ajv.addMetaSchema(req('ajv/lib/refs/json-schema-draft-04.json') as object);
  return ajv.compile(req('./lib/schemas/sarif-2.1.0-rtm.5.json') as object);
}

describe('SARIF renderer', () => {
  const report = buildReport({ eventName: HTML_HOSTILE });
  const log = JSON.parse(JSON.stringify(renderSarif(report, '0.1.0'))) as ReturnType<typeof renderSarif>;

  test('one 2.1.0 run with one rule per finding kind and one result per finding', () => {
    assert.equal(log.version, '2.1.0');
    assert.equal(log.$schema, SARIF_SCHEMA);
    assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
    assert.equal(log.runs.length, 1);
    const run = log.runs[0]!;
    assert.equal(run.tool.driver.name, 'lambda-behavior');
    assert.equal(run.tool.driver.version, '0.1.0');
    const rules = run.tool.driver.rules ?? [];
    const ids = rules.map((r) => r.id);
    assert.deepEqual([...ids].sort(), [
      'access-denied',
      'error-spike',
      'invocation-spike',
      'new-api-call',
      'new-peer',
      'rejected-traffic',
      'throttle-spike',
      'traffic-spike',
    ]);
    for (const r of rules) {
      assert.ok(r.shortDescription?.text && r.fullDescription?.text && r.help?.text, `${r.id} has texts`);
      assert.ok(Array.isArray(r.properties?.tags) && r.properties.tags.length > 0, `${r.id} has tags`);
    }
    const results = run.results ?? [];
    assert.equal(results.length, 5);
    for (const res of results) {
      assert.ok(ids.includes(res.ruleId!), `ruleId ${res.ruleId} is a rule`);
      assert.equal(rules[res.ruleIndex!]!.id, res.ruleId, 'ruleIndex points at the rule');
      assert.ok(res.partialFingerprints && Object.values(res.partialFingerprints).length === 1);
    }
  });

  test('levels follow severity, messages carry title and detail, the function is the location', () => {
    const results = log.runs[0]!.results!;
    const byId = new Map(results.map((r) => [Object.values(r.partialFingerprints!)[0], r]));
    const peer = byId.get('RDSQueryLogger/new-peer/10.0.1.37:22/tcp')!;
    assert.equal(peer.level, 'error');
    assert.equal(peer.ruleId, 'new-peer');
    assert.match(peer.message.text!, /^New network peer 10\.0\.1\.37:22 \(SSH\)\nNever reached in the baseline\./);
    assert.deepEqual(peer.locations![0]!.logicalLocations, [
      { name: 'RDSQueryLogger', fullyQualifiedName: 'arn:aws:lambda:us-east-1:123456789012:function:RDSQueryLogger', kind: 'function' },
    ]);
    assert.equal(byId.get('OrderProcessor/invocation-spike/Invocations')!.level, 'warning');
    assert.equal(byId.get('OrderProcessor/error-spike/Errors')!.level, 'note');
    assert.deepEqual(results.map((r) => r.level).sort(), ['error', 'error', 'note', 'warning', 'warning']);
    assert.equal(log.runs[0]!.invocations![0]!.toolExecutionNotifications![0]!.message.text, report.warnings[0]);
  });

  const validate = loadSarifValidator();
  test('validates against the SARIF 2.1.0 JSON schema', () => {
    assert.ok(validate, '@microsoft/jest-sarif (a devDependency that ships the schema) must be installed');
    assert.ok(validate!(log), JSON.stringify(validate!.errors, null, 1));
    // The validator is not vacuous: a wrong level and a missing message are rejected.
    const broken = JSON.parse(JSON.stringify(log));
    broken.runs[0].results[0].level = 'fatal';
    delete broken.runs[0].results[1].message;
    assert.equal(validate!(broken), false);
  });
});

// ---------------------------------------------------------------- HTML

const ALLOWED_TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'header',
  'section',
  'h1',
  'h2',
  'h3',
  'h4',
  'p',
  'dl',
  'dt',
  'dd',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'ul',
  'li',
  'span',
  'div',
  'code',
  'strong',
  'br',
  'a',
  'details',
  'summary',
  'pre',
  'svg',
  'line',
  'text',
  'polygon',
  'polyline',
  'circle',
]);
const ALLOWED_ATTRS = new Set([
  'lang',
  'charset',
  'http-equiv',
  'content',
  'name',
  'class',
  'id',
  'href',
  'viewBox',
  'role',
  'aria-label',
  'x',
  'y',
  'x1',
  'x2',
  'y1',
  'y2',
  'cx',
  'cy',
  'r',
  'points',
  'text-anchor',
  'dominant-baseline',
  // The chart's rotated axis title: geometry only, it loads and runs nothing.
  'transform',
]);

/**
 * Checks that all markup in the document is the renderer's own: every `<` opens a known tag whose
 * attributes are known and quoted, no event handlers, links only to fragments, nothing loaded.
 * Returns the problems found (empty when the document is clean).
 */
function markupProblems(html: string): string[] {
  const problems: string[] = [];
  const styleBlocks = html.match(/<style>[\s\S]*?<\/style>/g) ?? [];
  for (const block of styleBlocks) {
    if (block !== `<style>${REPORT_CSS}</style>`) problems.push('a style block that is not the report CSS');
    if (/url\(|@import|expression\(/i.test(block)) problems.push('CSS that loads something');
  }
  const body = html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/^<!DOCTYPE html>/, '');
  const tag = /<\/?([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*(?:="[^"<>]*")?)*)\s*\/?>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const between = body.slice(last, m.index);
    if (/[<>]/.test(between)) problems.push(`raw < or > in text: ${JSON.stringify(between.slice(0, 80))}`);
    last = tag.lastIndex;
    const name = m[1]!.toLowerCase();
    if (!ALLOWED_TAGS.has(name)) problems.push(`tag <${name}>`);
    for (const a of m[2]!.matchAll(/([a-zA-Z][a-zA-Z0-9:-]*)(?:="([^"]*)")?/g)) {
      const attr = a[1]!;
      const value = a[2] ?? '';
      if (!ALLOWED_ATTRS.has(attr)) problems.push(`attribute ${attr} on <${name}>`);
      if (attr === 'href' && !/^#[A-Za-z0-9_-]+$/.test(value)) problems.push(`href ${value}`);
    }
  }
  if (/[<>]/.test(body.slice(last))) problems.push('raw < or > after the last tag');
  if (/https?:\/\//i.test(html)) problems.push('an http(s) reference');
  return problems;
}

describe('HTML renderer', () => {
  const hostile = buildReport({
    peerResource: HTML_HOSTILE,
    eventName: HTML_HOSTILE,
    tagValue: HTML_HOSTILE,
    errorMessage: HTML_HOSTILE,
    warning: HTML_HOSTILE,
    detail: `${HTML_HOSTILE}\u202Etxt.exe`,
  });
  const html = renderHtml(hostile);

  test('is one self-contained document with a strict CSP and no script', () => {
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.ok(
      html.includes(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;">`),
    );
    assert.equal(REPORT_CSP, "default-src 'none'; style-src 'unsafe-inline'");
    assert.doesNotMatch(html, /<script|<img|<iframe|<link|<object|<embed|<base|<form/i);
    assert.doesNotMatch(html, /https?:\/\//);
    assert.match(REPORT_CSS, /prefers-color-scheme: dark/);
  });

  test('hostile strings appear only escaped, in text and attributes', () => {
    assert.deepEqual(markupProblems(html), []);
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(html.includes('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('&#39; onmouseover=&#39;alert(1)'));
    assert.ok(html.includes('[U+202E]txt.exe'));
    assert.doesNotMatch(html, /[\u202A-\u202E\u2066-\u2069]/);
    // Count the planted copies: the peer resource, the event name (table and finding subject), the tag,
    // the error message, the warning and the detail each show up escaped.
    const copies = html.split('&lt;img src=x onerror=alert(1)&gt;').length - 1;
    assert.ok(copies >= 7, `found ${copies} escaped copies`);
  });

  test('the markup check catches injected markup (the check is not vacuous)', () => {
    assert.notDeepEqual(markupProblems(html.replace('</body>', '<img src=x onerror=alert(1)></body>')), []);
    assert.notDeepEqual(markupProblems(html.replace('<h1>', '<h1 onclick="alert(1)">')), []);
    assert.notDeepEqual(markupProblems(html.replace('<h1>', '<a href="javascript:alert(1)">')), []);
    assert.notDeepEqual(markupProblems(`${html}<p>see https://example.com</p>`), []);
  });

  test('summary, findings with badges, evidence and recommendations', () => {
    const clean = renderHtml(buildReport());
    assert.deepEqual(markupProblems(clean), []);
    assert.match(clean, /<p class="lb-summary-line">5 findings \(2 high, 2 medium, 1 low\) in 4 functions/);
    assert.match(
      clean,
      /<span class="lb-badge lb-sev-high">high<\/span><span class="lb-title">New network peer 10\.0\.1\.37:22 \(SSH\)<\/span>/,
    );
    assert.match(clean, /<dt>error message<\/dt><dd>User is not authorized<\/dd>/);
    assert.match(clean, /<details><summary>event ids \(2\)<\/summary><pre>e-1\ne-2<\/pre><\/details>/);
    assert.match(clean, /What to do:<\/strong> Check the security group egress rules\./);
    assert.match(clean, /<a href="#fn-RDSQueryLogger">RDSQueryLogger<\/a>/);
    assert.match(clean, /<section class="lb-function" id="fn-RDSQueryLogger">/);
    assert.match(clean, /<span class="lb-gap">partial: flow log starts 2026-11-15<\/span>/);
    // Sections follow the severity order, as in the terminal.
    assert.ok(clean.indexOf('id="fn-RDSQueryLogger"') < clean.indexOf('id="fn-OrderProcessor"'));
    assert.ok(clean.indexOf('id="fn-OrderProcessor"') < clean.indexOf('id="fn-AlphaClean"'));
  });

  test('peer diff: added, removed and unchanged rows with counts now and in the baseline', () => {
    const rds = buildReport().functions.find((f) => f.name === 'RDSQueryLogger')!;
    const table = renderPeerDiff(rds);
    const rows = table.match(/<tr class="[^"]*">[\s\S]*?<\/tr>/g) ?? [];
    assert.equal(rows.length, 3);
    assert.match(
      rows[0]!,
      /^<tr class="lb-added lb-flagged lb-tone-high"><td><span class="lb-status-added">new<\/span><\/td><td><code>10\.0\.1\.37:22\/tcp<\/code>/,
    );
    assert.match(rows[0]!, /shared: RDSQueryLogger, ReportBuilder/);
    assert.match(rows[0]!, /14 <span class="muted">\/ -<\/span>/);
    assert.match(
      rows[1]!,
      /^<tr class="lb-removed">.*52\.94\.5\.10:443\/tcp.*0 <span class="muted">\/ 40<\/span>.*0 B <span class="muted">\/ 977 KiB<\/span>/,
    );
    assert.match(rows[2]!, /^<tr class="lb-unchanged">.*RDS \(RDSNetworkInterface\).*120 <span class="muted">\/ 900<\/span>/);
    assert.match(renderPeerDiff(buildReport().functions.find((f) => f.name === 'OrderProcessor')!), /Not attached to a VPC/);
  });

  test("API diff: the Lambda service's calls in their own table", () => {
    const rds = buildReport().functions.find((f) => f.name === 'RDSQueryLogger')!;
    const html = renderApiDiff(rds);
    const [own, service] = html.split('<h4>Made by the Lambda service with the function&#39;s role</h4>');
    assert.ok(own && service, 'two parts');
    assert.match(own, /<tr class="lb-added lb-flagged lb-tone-high">.*AssumeRole.*<span class="lb-sev-high">4<\/span>/);
    assert.match(own, /<tr class="lb-removed">.*Decrypt.*0 <span class="muted">\/ 12<\/span>/);
    assert.doesNotMatch(own, /ReceiveMessage/);
    assert.match(service, /<table class="lb-api lb-api-service">[\s\S]*ReceiveMessage[\s\S]*500 <span class="muted">\/ 4,000<\/span>/);
  });

  test('metrics chart: invocations against the expected band, points above it marked', () => {
    const metrics = buildReport().functions.find((f) => f.name === 'OrderProcessor')!.metrics!;
    const svg = renderMetricsChart(metrics, 24);
    assert.match(svg, /^<svg class="lb-chart" viewBox="0 0 760 240" role="img" aria-label="Invocations per hour in the last 24 h against/);
    assert.equal((svg.match(/<polygon class="lb-band"/g) ?? []).length, 1);
    assert.equal((svg.match(/<polyline class="lb-inv"/g) ?? []).length, 1);
    assert.equal((svg.match(/<polyline class="lb-err"/g) ?? []).length, 1);
    assert.equal((svg.match(/<polyline class="lb-thr"/g) ?? []).length, 0, 'no throttle line when there were none');
    assert.equal((svg.match(/<circle class="lb-over"/g) ?? []).length, 2, '640 and 700 are above the band high of 140');
    assert.match(svg, /<title>2026-11-22 14:00Z: 640 invocations, expected 70–140, 9 errors<\/title>/);
    // Gridlines on a round step (200) up to the first one above the highest value (700).
    assert.deepEqual(
      [...svg.matchAll(/<text x="50"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]),
      ['0', '200', '400', '600', '800'],
    );
    assert.match(
      svg,
      /<text x="56" y="202" text-anchor="middle">12:00<\/text>\n<text x="56" y="215" text-anchor="middle">2026-11-22<\/text>/,
      'hours, the date under the first',
    );
    assert.match(svg, /<li><span class="lb-swatch lb-over"><\/span>above the expected band<\/li>/);
    assert.match(svg, /<td>Invocations<\/td><td class="num">1,765<\/td><td class="num">2,400<\/td>/);
    assert.doesNotMatch(svg, /NaN|Infinity/);
    assert.deepEqual(markupProblems(svg), []);
    // Odd data does not break the drawing.
    const odd = renderMetricsChart({ ...metrics, hours: metrics.hours.slice(0, 1), invocations: [Number.NaN], expectedInvocations: [] });
    assert.doesNotMatch(odd, /NaN|Infinity/);
  });
});
