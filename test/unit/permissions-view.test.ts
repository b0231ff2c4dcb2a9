// The behaviour diff's Permissions section data: a judged function's used, unused and denied actions and its proposal in the view model, for the functions on its role and the scan it was judged on only.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { scan } from '../../src/core/scan';
import { permissionsView, permissionsViews } from '../../src/extension/permissions/view';
import { buildDiffViewModel } from '../../src/extension/webview/diff-model';
import { analyzePermissions } from '../../src/permissions/analyze';
import { openRecordedPermissions } from '../../src/replay/iam';
import { openScenario } from '../../src/replay/scenario';

const demo = path.resolve(__dirname, '..', '..', 'media', 'demo');
const signal = new AbortController().signal;

test("OrderApi judged: its diff and OrderWorker's (same role) show the Permissions data; another scan does not", async () => {
  const source = openScenario(demo, 'demo account');
  const report = await scan(source, { signal });
  const analysed = await analyzePermissions(report, openRecordedPermissions(demo), {
    functions: ['OrderApi'],
    lambdaFunctions: await source.listFunctions(signal),
    signal,
  });
  const fp = analysed.functions[0]!;
  const fn = (name: string) => report.functions.find((f) => f.name === name)!;
  assert.equal(buildDiffViewModel(report, fn('OrderApi'), { found: false }).permissions, undefined, 'absent until judged');

  permissionsViews.remember(
    report,
    permissionsView(
      fp,
      "Proposed as an edit of the statements of OrdersRole's policy orders in template.yaml, through the refactor preview.",
    ),
  );
  const view = buildDiffViewModel(report, fn('OrderApi'), { found: false }).permissions;
  assert.ok(view);
  assert.equal(view.roleName, 'orders-role');
  assert.deepEqual(view.roleFunctions, ['OrderApi', 'OrderWorker']);
  // Used: the calls that succeeded, with the statements that grant them; denied: iam:CreateUser, denied when called by NoIam.
  assert.deepEqual(
    view.used.map((u) => u.action),
    fp.used.filter((u) => !u.deniedInTrail).map((u) => u.action),
  );
  assert.ok(view.used.find((u) => u.action === 'dynamodb:DescribeTable')?.grantedBy.includes('managed orders-access #1 (Orders)'));
  assert.deepEqual(
    view.denied.find((d) => d.action === 'iam:CreateUser'),
    { action: 'iam:CreateUser', why: 'denied when called; policies: explicitly denied by inline orders-role-no-iam #1 (NoIam)' },
  );
  assert.ok(view.unused.some((g) => g.pattern === 'dynamodb:*' && g.unusedCount > 10));
  assert.deepEqual(
    view.proposal.statements.map((s) => s.actions),
    fp.proposal.statements.map((s) => s.actions),
  );
  assert.match(view.target ?? '', /refactor preview/);
  // The role's other function shows the same judgement; a function on another role does not.
  assert.deepEqual(buildDiffViewModel(report, fn('OrderWorker'), { found: false }).permissions, view);
  assert.equal(buildDiffViewModel(report, fn('PaymentsWebhook'), { found: false }).permissions, undefined);
  // The view model crosses postMessage: plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(view)), view);
  // Another scan of the account (another window) does not show a judgement of this one.
  const later = { ...report, window: { ...report.window, detectEnd: '2030-01-01T00:00:00Z' } };
  assert.equal(buildDiffViewModel(later, fn('OrderApi'), { found: false }).permissions, undefined);
});
