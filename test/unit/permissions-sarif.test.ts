// SARIF with permissions: one result per unused grant of a role, on the template line that grants it (source mapping of the demo's template), the scan's SARIF unchanged without them.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { buildProgram } from '../../src/cli/main';
import { scan } from '../../src/core/scan';
import { analyzePermissions } from '../../src/permissions/analyze';
import { openRecordedPermissions } from '../../src/replay/iam';
import { openScenario } from '../../src/replay/scenario';
import { renderSarif, sarifRules, UNUSED_GRANT_RULE_ID } from '../../src/report/sarif';
import { grantLocator } from '../../src/source/grant-locator';
import { NodeSourceFiles } from '../../src/source/node-files';
import { loadProject } from '../../src/source/project';

const root = path.resolve(__dirname, '..', '..');
const demo = path.join(root, 'media', 'demo');
const demoSource = path.join(root, 'media', 'demo-source').split(path.sep).join('/');
const signal = new AbortController().signal;

describe('SARIF results for unused grants (the demo account and its template)', async () => {
  const source = openScenario(demo, 'demo account');
  const report = await scan(source, { signal });
  const permissions = await analyzePermissions(report, openRecordedPermissions(demo), {
    lambdaFunctions: await source.listFunctions(signal),
    signal,
  });
  const files = new NodeSourceFiles([demoSource]);
  const project = await loadProject(files, { parseHcl: async () => ({}) });
  const locate = await grantLocator(files, project, report.functions, demoSource);

  test("without permissions the log is the scan's: no unused-grant rule, no such result", () => {
    const log = renderSarif(report, '1.0.0');
    assert.deepEqual(
      log.runs[0]!.tool.driver.rules!.map((r) => r.id),
      sarifRules().map((r) => r.id),
    );
    assert.ok(!log.runs[0]!.results!.some((r) => r.ruleId === UNUSED_GRANT_RULE_ID));
  });

  test("one result per unused grant of a role; a shared role's once, at each of its functions; located on the template", () => {
    const log = renderSarif(report, '1.0.0', { report: permissions, locate: (fn, grant) => locate(fn.function, grant.statement) });
    const run = log.runs[0]!;
    const ruleIndex = run.tool.driver.rules!.findIndex((r) => r.id === UNUSED_GRANT_RULE_ID);
    assert.equal(ruleIndex, sarifRules().length, 'appended: the finding rules keep their indexes');
    const results = run.results!.filter((r) => r.ruleId === UNUSED_GRANT_RULE_ID);
    // Every unused grant of every role, once.
    const expected = new Set(
      permissions.functions.flatMap((f) => f.unused.map((g) => `${f.roleArn}|${g.statement.policyName}|${g.statement.index}|${g.pattern}`)),
    );
    assert.equal(results.length, expected.size);
    for (const r of results) assert.equal(r.ruleIndex, ruleIndex);
    const fingerprints = results.map((r) => Object.values(r.partialFingerprints!)[0]);
    assert.equal(new Set(fingerprints).size, results.length);

    // orders-role is shared by OrderApi and OrderWorker: its dynamodb:* grant is one result at both, on OrdersRole's statements.
    const dynamo = results.filter(
      (r) =>
        (r.properties as { pattern: string }).pattern === 'dynamodb:*' &&
        (r.properties as { role: string }).role.endsWith('role/orders-role'),
    );
    assert.equal(dynamo.length, 1);
    const [location] = dynamo[0]!.locations!;
    assert.deepEqual(location!.logicalLocations!.map((l) => l.name).sort(), ['OrderApi', 'OrderWorker']);
    assert.deepEqual(location!.physicalLocation, {
      artifactLocation: { uri: 'template.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 50 },
    });
    assert.match(
      dynamo[0]!.message.text ?? '',
      /^Role orders-role grants dynamodb:\* \(managed orders-access #1 \(Orders\)\); never used by OrderApi, OrderWorker: dynamodb:/,
    );

    // A function whose template has no policy of its own: the result is on its declaration.
    const thumbs = results.find((r) => r.locations![0]!.logicalLocations!.some((l) => l.name === 'ThumbnailMaker'));
    assert.equal(thumbs?.locations![0]!.physicalLocation?.region?.startLine, 113);
  });

  test('without a template found, a grant is located at the function alone', () => {
    const log = renderSarif(report, '1.0.0', { report: permissions });
    const result = log.runs[0]!.results!.find((r) => r.ruleId === UNUSED_GRANT_RULE_ID)!;
    assert.equal(result.locations![0]!.physicalLocation, undefined);
    assert.ok(result.locations![0]!.logicalLocations!.length >= 1);
  });
});

test('scan --permissions is for SARIF, and not with --redact', async () => {
  const out: string[] = [];
  const program = buildProgram(
    (t) => out.push(t),
    () => undefined,
  );
  await assert.rejects(program.parseAsync(['scan', '--demo', '--permissions'], { from: 'user' }), /use it with --format sarif/);
  await assert.rejects(
    buildProgram(
      () => undefined,
      () => undefined,
    ).parseAsync(['scan', '--demo', '--format', 'sarif', '--permissions', '--redact'], { from: 'user' }),
    /--redact/,
  );
  await assert.rejects(
    buildProgram(
      () => undefined,
      () => undefined,
    ).parseAsync(['scan', '--demo', '--format', 'sarif', '--source', '.'], { from: 'user' }),
    /with --permissions/,
  );
});
