// "Show behaviour diff" in a real extension host: the webview beside the handler, what it rendered (read back from its DOM), rescans, messages, disposal.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import { demoConnection } from '../../../src/extension/session';
import type { RenderedSummary } from '../../../src/shared/protocol';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
const FN = 'OrderApi';

describe('Behaviour diff beside the source', () => {
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  let report: ScanReport;

  /** The next render the panel owes, with a message that says which one never came. */
  function rendered(name = FN, what = 'a render'): Promise<RenderedSummary> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the ${name} webview did not report ${what} within 20 s`)), 20_000);
    });
    return Promise.race([api.diffView.lastRendered(name), timeout]).finally(() => clearTimeout(timer));
  }

  function rows(summary: RenderedSummary, section: string, status?: string) {
    return summary.rows.filter((r) => r.section === section && (status === undefined || r.status === status));
  }

  async function withReport<T>(change: (copy: ScanReport) => void, body: () => Promise<T>): Promise<T> {
    const original = api.session.report!;
    const copy = structuredClone(original);
    change(copy);
    api.session.setReport(copy);
    try {
      return await body();
    } finally {
      api.session.setReport(original);
      await api.session.saved;
    }
  }

  before(async () => {
    const found = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID);
    assert.ok(found, `${EXTENSION_ID} is loaded`);
    extension = found;
    api = await extension.activate();
    await api.restored;
    api.session.connect(demoConnection(extension.extensionUri));
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    assert.ok(api.session.report, 'the demo was scanned');
    report = api.session.report;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The suites after this one meet a first run: an open account without a scan, nothing saved.
    api.session.connect(demoConnection(extension.extensionUri));
    await api.store.load(); // waits for pending saves
    fs.rmSync(api.store.file, { force: true });
  });

  it(`opens ${FN}'s handler in the editor and the diff in a webview beside it`, async () => {
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel | undefined>('lambdaBehavior.showDiff', FN);
    assert.ok(panel, 'showDiff returns its panel');
    assert.equal(api.diffView.panelFor(FN), panel);
    assert.equal(panel.title, `Behaviour: ${FN}`);
    assert.equal(panel.viewType, 'lambdaBehavior.diff');
    assert.equal(panel.webview.options.enableScripts, true);
    assert.deepEqual(
      panel.webview.options.localResourceRoots?.map((u) => u.toString()),
      [vscode.Uri.joinPath(extension.extensionUri, 'dist').toString()],
      'only the built assets can be loaded',
    );
    assert.equal(panel.options.retainContextWhenHidden, false);
    assert.ok(panel.iconPath, 'the panel has an icon');

    const html = panel.webview.html;
    assert.match(
      html,
      new RegExp(
        `default-src 'none'; script-src 'nonce-[A-Za-z0-9+/=]{24}'; style-src ${panel.webview.cspSource.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')};`,
      ),
    );
    assert.ok(!html.includes(FN) && !html.includes(report.accountId), 'the HTML holds no report data');

    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'the handler is open in a text editor, which keeps the focus');
    assert.match(editor.document.getText(), /ListBuckets/, `the editor shows ${FN}'s handler (${editor.document.uri.fsPath})`);
    // The panel learns its column when the workbench reports its first view state.
    for (let i = 0; i < 100 && panel.viewColumn === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      editor.viewColumn !== undefined && panel.viewColumn !== undefined,
      `columns: editor ${editor.viewColumn}, panel ${panel.viewColumn}`,
    );
    assert.notEqual(panel.viewColumn, editor.viewColumn, 'the webview is in another editor group');
    assert.equal(panel.viewColumn, editor.viewColumn + 1, 'the group beside the handler');
    const webviewTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
    assert.equal(webviewTabs.length, 1);
    assert.equal(webviewTabs[0].label, `Behaviour: ${FN}`);
  });

  it("renders the function's findings, its added API calls and the chart (read back from the webview's DOM)", async () => {
    const summary = await rendered(FN, 'its first render');
    const fn = report.functions.find((f) => f.name === FN)!;
    assert.equal(summary.state, 'diff');
    assert.equal(summary.title, FN, '#title holds the function name');
    assert.deepEqual(summary.unexpectedElements, [], 'the page holds only what the renderer creates');

    assert.equal(summary.findings.length, 3);
    assert.deepEqual(summary.findings.map((f) => f.title).sort(), fn.findings.map((f) => f.title).sort());
    assert.ok(summary.findings.every((f) => f.severity === 'high'));
    for (const kind of ['new-api-call', 'access-denied', 'invocation-spike']) {
      const f = fn.findings.find((x) => x.kind === kind)!;
      assert.ok(
        summary.findings.some((s) => s.id === f.id),
        `the ${kind} finding (${f.title}) is shown`,
      );
    }

    const added = rows(summary, 'api-calls', 'added');
    assert.deepEqual(added.map((r) => r.subject).sort(), ['iam.amazonaws.com:CreateUser', 's3.amazonaws.com:ListBuckets']);
    assert.ok(
      added.every((r) => r.revealable),
      "the function's own calls can be revealed in the code",
    );
    const createUser = added.find((r) => r.subject.endsWith('CreateUser'))!;
    assert.deepEqual(createUser.cells.slice(0, 2), ['+ new high', 'iam:CreateUser'], "status with the finding's severity; the call");
    assert.equal(createUser.cells[2], '3 / -', 'calls now / baseline');
    assert.equal(createUser.cells[4], '3', 'denied');
    assert.equal(createUser.cells[5], '2026-11-22 20:37Z – 21:53Z', 'first and last seen');
    const unchanged = rows(summary, 'api-calls', 'unchanged');
    assert.deepEqual(unchanged.map((r) => r.subject).sort(), [
      'secretsmanager.amazonaws.com:GetSecretValue',
      'ssm.amazonaws.com:GetParameter',
    ]);
    const secret = unchanged.find((r) => r.subject.startsWith('secretsmanager'))!;
    assert.deepEqual(secret.cells.slice(0, 3), ['= same', 'secretsmanager:GetSecretValue', '8 / 65']);
    assert.deepEqual(summary.counts['api-calls'], { added: 2, removed: 0, unchanged: 2 });

    const service = rows(summary, 'service-calls');
    assert.deepEqual(
      service.map((r) => [r.subject, r.status, r.revealable]),
      [['kms.amazonaws.com:Decrypt', 'unchanged', false]],
      "the Lambda service's calls apart, not revealable",
    );
    assert.deepEqual(rows(summary, 'peers'), [], `${FN} is not in a VPC`);

    assert.equal(summary.chart.kind, 'svg');
    if (summary.chart.kind === 'svg') {
      assert.equal(summary.chart.points, 24, 'one point per hour of the detection window');
      assert.ok(summary.chart.bandSegments >= 1, 'the expected band is drawn');
      assert.ok(summary.chart.overBand >= 6, `the spike's hours are above the band (${summary.chart.overBand})`);
      assert.ok(
        summary.chart.legend.some((l) => /invocations/.test(l)) && summary.chart.legend.includes('errors'),
        summary.chart.legend.join(' | '),
      );
    }
    assert.deepEqual(summary.coverageGaps, []);
  });

  it('shows network peers as a diff, in a panel per function, and reuses the panel when asked again', async () => {
    const logger = report.functions.find((f) => f.name === 'RDSQueryLogger')!;
    const finding = logger.findings[0]!;
    // As the tree's FindingNode passes itself.
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>('lambdaBehavior.showDiff', {
      kind: 'finding',
      fn: logger,
      finding,
    });
    assert.notEqual(panel, api.diffView.panelFor(FN));
    assert.deepEqual(api.diffView.openFunctions().sort(), [FN, 'RDSQueryLogger']);
    const summary = await rendered('RDSQueryLogger');
    const ssh = rows(summary, 'peers', 'added').find((r) => r.subject.endsWith(':22/tcp'));
    assert.ok(ssh, `the new SSH peer is an added row: ${JSON.stringify(rows(summary, 'peers'))}`);
    assert.equal(ssh.revealable, false);
    assert.ok(
      rows(summary, 'peers', 'unchanged').some((r) => r.subject.endsWith(':5432/tcp')),
      'the database is unchanged',
    );
    assert.deepEqual(
      summary.findings.map((f) => f.id),
      [finding.id],
    );

    const again = await vscode.commands.executeCommand<vscode.WebviewPanel>('lambdaBehavior.showDiff', 'RDSQueryLogger');
    assert.equal(again, panel, 'one panel per function');
    panel.dispose();
    assert.deepEqual(api.diffView.openFunctions(), [FN]);
  });

  it('re-renders after a rescan and when the report changes', async () => {
    const first = await rendered();
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    const afterScan = await rendered(FN, 'a render after the rescan');
    assert.ok(afterScan.seq > first.seq, `a new render (#${afterScan.seq} after #${first.seq})`);
    assert.deepEqual(afterScan.rows, first.rows, 'the same demo, the same rows');

    const listBuckets = report.functions.find((f) => f.name === FN)!.findings.find((f) => f.kind === 'new-api-call')!;
    await withReport(
      (copy) => {
        const fn = copy.functions.find((f) => f.name === FN)!;
        fn.findings = fn.findings.filter((f) => f.id !== listBuckets.id);
      },
      async () => {
        const changed = await rendered(FN, 'a render of the changed report');
        assert.equal(changed.findings.length, 2);
        assert.ok(!changed.findings.some((f) => f.id === listBuckets.id));
      },
    );
    assert.equal((await rendered(FN, 'a render of the restored report')).findings.length, 3);
  });

  it('shows hostile strings from a report as text: no markup, no link, bidi controls made visible', async () => {
    const html = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const link = '[x](command:workbench.action.quit)';
    const bidi = 'Get\u202EeulaVterceS';
    const long = `${'L'.repeat(100 * 1024)}<b>tail</b>`;
    await withReport(
      (copy) => {
        const fn = copy.functions.find((f) => f.name === FN)!;
        const call = fn.apiCalls.find((c) => c.eventName === 'GetParameter')!;
        call.eventName = html;
        call.eventSource = link;
        fn.apiCalls.find((c) => c.eventName === 'GetSecretValue')!.eventName = bidi;
        fn.findings[0]!.title = html;
        fn.findings[0]!.detail = long;
        fn.coverage.cloudtrail = `partial: ${link}`;
        // The structured status decides what is a gap; the sentence is what is shown.
        if (fn.coverageStatus) fn.coverageStatus.cloudtrail = { status: 'partial' };
      },
      async () => {
        const summary = await rendered(FN, 'a render of the hostile report');
        assert.deepEqual(summary.unexpectedElements, [], 'no element came from a string');
        const hostileRow = summary.rows.find((r) => r.cells[1] === `${link}:${html}`);
        assert.ok(
          hostileRow,
          `the markup and the link are shown as text in their cell: ${JSON.stringify(summary.rows.map((r) => r.cells[1]))}`,
        );
        assert.equal(hostileRow.subject, `${link}:${html}`, 'data-subject holds the string as data');
        assert.ok(
          summary.rows.some((r) => r.cells[1] === 'secretsmanager:Get[U+202E]eulaVterceS'),
          'the bidi override is visible, not applied',
        );
        assert.ok(summary.findings.some((f) => f.title === html));
        assert.deepEqual(summary.coverageGaps, [`cloudtrail: partial: ${link}`]);
      },
    );
    assert.deepEqual((await rendered(FN, 'a render of the restored report')).unexpectedElements, []);
  });

  it("maps the webview's messages to commands and ignores anything else", async () => {
    const before = await rendered();
    for (const junk of [{ type: 'eval', code: 'x' }, 'ready', null, { type: 'accept' }, { type: 'accept', findingId: 'no-such-finding' }]) {
      await api.diffView.receive(FN, junk);
    }
    assert.deepEqual((await rendered()).findings, before.findings, 'nothing was accepted');

    // Reveal: the line of the handler that makes the call is selected.
    await api.diffView.receive(FN, { type: 'revealApiCall', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' });
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor shows the handler');
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /ListBuckets/, 'the cursor is on the line that makes the call');

    // Accept: the finding leaves the report and the page, and the accepted-behaviour file is put back afterwards.
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace is open');
    const acceptFile = path.join(folder.uri.fsPath, '.lambda-behavior', 'baseline.json');
    const saved = fs.existsSync(acceptFile) ? fs.readFileSync(acceptFile, 'utf8') : undefined;
    const denied = report.functions.find((f) => f.name === FN)!.findings.find((f) => f.kind === 'access-denied')!;
    try {
      await api.diffView.receive(FN, { type: 'accept', findingId: denied.id });
      const accepted = await rendered(FN, 'a render after accepting');
      assert.equal(accepted.findings.length, 2);
      assert.ok(!accepted.findings.some((f) => f.id === denied.id), 'the accepted finding is gone');
      assert.ok(fs.readFileSync(acceptFile, 'utf8').includes('iam.amazonaws.com:CreateUser'), 'and written to the accepted-behaviour file');
    } finally {
      if (saved === undefined) fs.rmSync(acceptFile, { force: true });
      else fs.writeFileSync(acceptFile, saved);
    }
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    assert.equal((await rendered(FN, 'a render after the rescan')).findings.length, 3, 'back after the file was restored');
  });

  it('says the function is not in the last scan when it disappears, and shows it again when it is back', async () => {
    await withReport(
      (copy) => {
        copy.functions = copy.functions.filter((f) => f.name !== FN);
      },
      async () => {
        const summary = await rendered(FN, 'the missing state');
        assert.equal(summary.state, 'missing');
        assert.equal(summary.title, FN);
        assert.deepEqual(summary.rows, [], 'no stale rows');
        assert.deepEqual(summary.findings, []);
      },
    );
    assert.equal((await rendered(FN, 'the diff again')).state, 'diff');
  });

  it('disposes everything with the panel', async () => {
    const panel = api.diffView.panelFor(FN)!;
    panel.dispose();
    assert.equal(api.diffView.panelFor(FN), undefined);
    assert.deepEqual(api.diffView.openFunctions(), []);
    await assert.rejects(api.diffView.lastRendered(FN), /no behaviour-diff panel/);
    // The workbench closes the tab a moment after the panel is disposed.
    const webviewTabs = () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputWebview)
        .map((t) => t.label);
    for (let i = 0; i < 40 && webviewTabs().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(webviewTabs(), [], 'no webview tab is left');
    // A session change after the panel closed reaches no disposed webview (that would throw).
    await vscode.commands.executeCommand('lambdaBehavior.scanAll');
    const reopened = await vscode.commands.executeCommand<vscode.WebviewPanel>('lambdaBehavior.showDiff', FN);
    assert.notEqual(reopened, panel, 'a new panel after the old one closed');
    assert.equal((await rendered(FN, 'the reopened panel')).state, 'diff');
    reopened.dispose();
  });
});
