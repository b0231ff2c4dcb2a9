// The hostile scenario (src/gen/hostile.ts) in a real extension host: tree labels and tooltips, diagnostics, CodeLens titles and the behaviour-diff webview show the attacker's strings as inert text.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { ScanReport } from '../../../src/core/model';
import type { LambdaBehaviorApi } from '../../../src/extension/activate';
import { demoConnection } from '../../../src/extension/session';
import type { FunctionsTreeNode } from '../../../src/extension/tree/nodes';
import { generateScenario } from '../../../src/gen/generate';
import { HOSTILE, HOSTILE_ALL } from '../../../src/gen/hostile';
import { optionsFromArgv } from '../../../src/gen/main';
import type { RenderedSummary } from '../../../src/shared/protocol';

const EXTENSION_ID = 'lambda-behavior.lambda-behavior';
/** Named by the rejected-traffic finding, whose title carries every payload; its peers carry bidi, escapes and controls. */
const REJECTED_FN = 'ImageResizer';
/** Its access-denied finding's evidence holds a 100 KB error message. */
const DENIED_FN = 'OrderApi';
const LIVE_LINK = /\]\(\s*(?:command|vscode|https?|file)/i;

describe('Hostile content from the account', () => {
  let extension: vscode.Extension<LambdaBehaviorApi>;
  let api: LambdaBehaviorApi;
  let report: ScanReport;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-hostile-host-'));
  const dir = path.join(scratch, 'hostile');

  function all(node?: FunctionsTreeNode): FunctionsTreeNode[] {
    const children = api.functionsTree.getChildren(node);
    return children.flatMap((c) => [c, ...all(c)]);
  }

  function rendered(name: string): Promise<RenderedSummary> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the ${name} webview did not report a render within 20 s`)), 20_000);
    });
    return Promise.race([api.diffView.lastRendered(name), timeout]).finally(() => clearTimeout(timer));
  }

  before(async function () {
    this.timeout(120_000);
    extension = vscode.extensions.getExtension<LambdaBehaviorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    await api.restored;
    await generateScenario(optionsFromArgv(['--profile', 'hostile', '--seed', '3', '--out', dir]));
    const label = await vscode.commands.executeCommand<string | undefined>('lambdaBehavior.openScenario', dir);
    assert.ok(label, 'the scenario opens');
    report = (await vscode.commands.executeCommand<ScanReport>('lambdaBehavior.scanAll'))!;
    assert.ok(report && report.functions.length === 7, 'the hostile scenario scans');
    await api.source.diagnostics.settled;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The suites after this one, and the UI run after them, meet a first run: an open account without a scan, nothing saved.
    api.session.connect(demoConnection(extension.extensionUri));
    await api.session.saved;
    await api.store.load();
    fs.rmSync(api.store.file, { force: true });
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) fs.rmSync(path.join(folder.uri.fsPath, '.lambda-behavior'), { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('the findings carry the hostile strings (so the checks below are not vacuous)', () => {
    const rejected = report.functions.find((f) => f.name === REJECTED_FN)?.findings.find((f) => f.kind === 'rejected-traffic');
    assert.ok(rejected?.title.includes(HOSTILE_ALL), `${REJECTED_FN}'s rejected-traffic title holds every payload`);
    const denied = report.functions.find((f) => f.name === DENIED_FN)?.findings.find((f) => f.kind === 'access-denied');
    assert.ok(
      (denied?.evidence.errorMessages as string[]).some((m) => m.length > 100_000),
      'a 100 KB error message in the evidence',
    );
  });

  it("every tree item's label and description is a plain string (never markdown)", () => {
    const nodes = all();
    assert.ok(nodes.length > 50, `the tree has the scan's nodes (${nodes.length})`);
    let hostile = 0;
    for (const node of nodes) {
      const item = api.functionsTree.getTreeItem(node);
      assert.equal(typeof item.label, 'string', `${node.kind}: the label is a string`);
      assert.ok(item.description === undefined || typeof item.description === 'string', `${node.kind}: the description is a string`);
      if (String(item.label).includes('HTMLX')) hostile++;
    }
    assert.ok(hostile > 0, 'hostile strings reach tree labels');
  });

  it('every tooltip is untrusted markdown without HTML, with no live link, no raw "<" and no unescaped bidi control', () => {
    let checked = 0;
    const seen = new Set<string>();
    for (const node of all()) {
      const item = api.functionsTree.resolveTreeItem(api.functionsTree.getTreeItem(node), node);
      const tip = item instanceof vscode.TreeItem ? item.tooltip : undefined;
      if (tip === undefined) continue;
      assert.ok(tip instanceof vscode.MarkdownString, `${node.kind}: a MarkdownString`);
      assert.ok(!tip.isTrusted, `${node.kind}: not trusted (no command links)`);
      assert.ok(!tip.supportHtml, `${node.kind}: no HTML`);
      assert.ok(!tip.supportThemeIcons, `${node.kind}: no $(icon) syntax`);
      const v = tip.value;
      assert.doesNotMatch(v, LIVE_LINK, `${node.kind}: no live link in ${v.slice(0, 300)}`);
      assert.ok(!v.includes('<'), `${node.kind}: no raw "<" in ${v.slice(0, 300)}`);
      assert.doesNotMatch(v, /[\u202A-\u202E\u2066-\u2069]/, `${node.kind}: bidi controls are made visible`);
      assert.doesNotMatch(v, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, `${node.kind}: no control characters`);
      assert.ok(v.length < 30_000, `${node.kind}: a hover, not a document (${v.length} characters)`);
      for (const marker of ['HTMLX', 'MDX', 'TERMX', 'BIDIX', 'CTRLX']) if (v.includes(marker)) seen.add(marker);
      checked++;
    }
    assert.ok(checked > 50, `tooltips checked: ${checked}`);
    assert.deepEqual([...seen].sort(), ['BIDIX', 'CTRLX', 'HTMLX', 'MDX', 'TERMX'], 'every payload reached some tooltip');
  });

  it("a hostile finding's tooltip still says the text, escaped rather than dropped", () => {
    const fnNode = all().find((n) => n.kind === 'finding' && n.fn.name === REJECTED_FN && n.finding.kind === 'rejected-traffic');
    assert.ok(fnNode);
    const tip = api.functionsTree.resolveTreeItem(api.functionsTree.getTreeItem(fnNode), fnNode).tooltip as vscode.MarkdownString;
    // Markdown escapes aside, the words are all there.
    const unescaped = tip.value
      .replace(/\\(.)/g, '$1')
      .replace(/&nbsp;/g, ' ')
      .replace(/&colon;/g, ':')
      .replace(/&period;/g, '.')
      .replace(/&commat;/g, '@')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    for (const literal of ['<img src=x onerror=', '[quit](command:workbench.action.quit)', 'admin[U+202E]gnp.exe', '$(zap)']) {
      assert.ok(unescaped.includes(literal), `the tooltip says ${literal}`);
    }
  });

  it('diagnostics hold the strings as one capped line of text', async () => {
    const ours = vscode.languages
      .getDiagnostics()
      .flatMap(([uri, ds]) => ds.filter((d) => d.source === 'Lambda Behavior').map((d) => ({ uri, d })));
    assert.ok(ours.length > 0, 'the scan marks source lines');
    const hostile = ours.filter(({ d }) => d.message.includes('HTMLX'));
    assert.ok(
      hostile.length > 0,
      `a diagnostic names the hostile peer (messages: ${ours.map(({ d }) => d.message.slice(0, 80)).join(' | ')})`,
    );
    for (const { d } of ours) {
      assert.ok(!/[\r\n\u2028\u2029]/.test(d.message), 'one line');
      assert.ok(d.message.length <= 500, `capped (${d.message.length})`);
      assert.doesNotMatch(d.message, /[\x00-\x1f\x7f-\x9f]/, 'no control characters');
      assert.doesNotMatch(d.message, /[\u202A-\u202E\u2066-\u2069]/, 'bidi controls are made visible');
    }
    assert.ok(
      hostile.some(({ d }) => d.message.includes('<img src=x onerror="window.__pwned=1;alert(1)">')),
      'the markup is there literally',
    );
    assert.ok(
      hostile.some(({ d }) => d.message.includes('admin[U+202E]gnp.exe')),
      'bidi controls shown as [U+202E]',
    );
  });

  it('CodeLens titles hold no $(icon) from the data', async () => {
    let lenses = 0;
    for (const fn of report.functions) {
      const source = await api.source.resolver.resolve(fn, { interactive: false });
      if (!source) continue;
      // The provider answers for an open document.
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(source.uri.toString()));
      const found = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri)).filter(
        (l) => l.command?.command === 'lambdaBehavior.showDiff',
      );
      for (const lens of found) {
        lenses++;
        const title = lens.command!.title;
        assert.match(title, /^\$\(bell\) [^$]*$/, `only the lens's own bell icon: ${title}`);
        assert.ok(title.length < 120, `short: ${title}`);
      }
    }
    assert.ok(lenses > 0, 'handlers carry CodeLenses');
  });

  /** What each diff must show literally (as text): the finding titles and the peer rows' cells, as the webview renders them. */
  const SHOWN: Record<string, string[]> = {
    ThumbnailMaker: [
      '<img src=x onerror="window.__pwned=1;alert(1)">',
      'admin[U+202E]gnp.exe',
      '[quit](command:workbench.action.quit)',
      '![x](https://example.invalid/x.png)',
    ],
    [REJECTED_FN]: ['<img src=x onerror="window.__pwned=1;alert(1)">', 'admin[U+202E]gnp.exe', 'Load balancer (app/BIDIX'],
    [DENIED_FN]: ['Denied iam:CreateUser'],
  };
  for (const [name, literals] of Object.entries(SHOWN)) {
    it(`${name}'s behaviour diff holds no element from the data and shows the strings as text`, async function () {
      this.timeout(60_000);
      const panel = await vscode.commands.executeCommand<vscode.WebviewPanel | undefined>('lambdaBehavior.showDiff', name);
      assert.ok(panel, 'the diff opens');
      const summary = await rendered(name);
      assert.equal(summary.state, 'diff');
      assert.deepEqual(summary.unexpectedElements, [], 'only what the renderer creates');
      const fn = report.functions.find((f) => f.name === name)!;
      assert.equal(summary.findings.length, fn.findings.length, 'every finding is shown');
      const texts = [...summary.findings.map((f) => f.title), ...summary.rows.flatMap((r) => r.cells)].join('\n');
      for (const literal of literals) assert.ok(texts.includes(literal), `the page shows ${literal}`);
      assert.doesNotMatch(texts, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202A-\u202E\u2066-\u2069]/, 'no control or bidi character on screen');
      assert.ok(
        !panel.webview.html.includes('HTMLX') && !panel.webview.html.includes(HOSTILE.html),
        "the page's HTML holds no data: it arrives as a message",
      );
    });
  }
});
