// The UI checks, as a person uses the packaged extension in code-server: the panel, the demo account, "Scan Function" from the palette, an alert's tooltip, the behaviour diff beside the source, the revealed line, the Problems panel.
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const wb = require('./workbench');
const { vsixEntries } = require('./vsix');

const FUNCTION = 'OrderApi';
/** OrderApi's new API call in the demo: its finding, its diff row and the source line that makes it. */
const NEW_CALL = 'ListBuckets';
/** The call OrderApi was denied: also an anomalous call with a line in the source. */
const DENIED_CALL = 'CreateUser';
/** The line that makes a call: SDK v3 `new XxxCommand(`, SDK v2 `.xxx(`, boto3 `.xxx_yyy(` (not the import). */
const callPattern = (eventName) => {
  const snake = eventName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const camel = eventName[0].toLowerCase() + eventName.slice(1);
  return new RegExp(`\\bnew\\s+${eventName}Command\\s*\\(|\\.${camel}\\s*\\(|\\.${snake}\\s*\\(`);
};

/** Every { file, line } under dir whose text makes the call (the workspace's sources; no node_modules). */
function callSites(dir, eventName) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p);
      } else if (/\.(m?[jt]s|cjs|py)$/.test(e.name)) {
        fs.readFileSync(p, 'utf8')
          .split('\n')
          .forEach((l, i) => callPattern(eventName).test(l) && out.push({ file: p, line: i + 1 }));
      }
    }
  };
  walk(dir);
  return out;
}

/** Files the package may hold (paths inside the .vsix's extension/ folder). */
const ALLOWED = [
  /^package\.json$/,
  /^readme\.md$/,
  /^LICENSE\.txt$/,
  /^dist\/(?!cli\.js$)(?!.*\.map$).+$/,
  /^media\/(?!.*\.labels\.json$).+$/,
  /^docs\/images\/[^/]+\.png$/,
  /^docs\/iam-policy(-athena)?\.json$/,
];
const REQUIRED = [
  'package.json',
  'readme.md',
  'LICENSE.txt',
  'dist/extension.js',
  'dist/aws.js',
  'dist/webview.js',
  'media/lambda-behavior.svg',
  'media/demo/scenario.json',
];

/**
 * @param {import('./harness').UiSuite} suite
 * @param {{
 *   root: string, vsix: string, installed: string[], version: string, workspace: string, resultsDir: string,
 *   expected: { functions: {
 *     name: string, handler: string, peers: unknown[], apiCalls: { eventSource: string, eventName: string, caller: string }[],
 *     findings: { title: string, detail: string, subject: string, kind: string }[],
 *   }[] },
 *   openPage: () => Promise<import('playwright-core').Page>,
 * }} ctx
 */
function defineUiTests(suite, ctx) {
  /** @type {import('playwright-core').Page} */
  let page;
  const shot = (name) => {
    const file = path.join(ctx.resultsDir, name);
    return page.screenshot({ path: file }).then(() => path.relative(ctx.root, file));
  };
  const expectedFn = ctx.expected.functions.find((f) => f.name === FUNCTION);
  assert.ok(expectedFn, `${FUNCTION} is in the demo's report`);
  const newCallFinding = expectedFn.findings.find((f) => f.subject.endsWith(`:${NEW_CALL}`));
  assert.ok(newCallFinding, `the demo's ${FUNCTION} has a finding about ${NEW_CALL}`);

  suite.test('the .vsix holds the bundles, media, README and LICENSE, and nothing else', async () => {
    const entries = vsixEntries(ctx.vsix).filter((e) => e.name.startsWith('extension/'));
    const names = entries.map((e) => e.name.slice('extension/'.length));
    const stray = names.filter((n) => !ALLOWED.some((re) => re.test(n)));
    assert.deepEqual(stray, [], 'files that do not belong in the package');
    const missing = REQUIRED.filter((n) => !names.includes(n));
    assert.deepEqual(missing, [], 'files the extension needs at runtime');
    const demoSource = path.join(ctx.root, 'media', 'demo-source');
    if (fs.existsSync(demoSource))
      assert.ok(
        names.some((n) => n.startsWith('media/demo-source/')),
        'media/demo-source ships',
      );
    // Nothing from node_modules ships, so the bundles must load from the package alone: unpack it outside the repo
    // (no node_modules up the tree) and load them in fresh processes, the extension with the stub vscode module.
    const shipped = new Set(names);
    const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-behavior-vsix-'));
    try {
      for (const e of entries) {
        const dest = path.join(unpacked, e.name);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.writeFileSync(dest, e.read());
      }
      const dist = path.join(unpacked, 'extension', 'dist');
      const activation = node([path.join(ctx.root, 'bench', 'activation.js'), path.join(dist, 'extension.js')], unpacked);
      const loaded = JSON.parse(activation).loaded;
      assert.deepEqual(
        loaded,
        [path.join('dist', 'extension.js')],
        'activation loads nothing beside the bundle (no AWS SDK, no webview code)',
      );
      // Every other Node bundle (the AWS backend, a bundled parser) loads too; an asset it reads at load time that
      // is missing surfaces as an error within the grace period.
      const bundles = names.filter((n) => /^dist\/.+\.js$/.test(n) && n !== 'dist/extension.js' && n !== 'dist/webview.js');
      const requires = bundles.map((b) => `require(${JSON.stringify(path.join(unpacked, 'extension', b))});`).join(' ');
      node(['-e', `${requires} setTimeout(() => process.exit(0), 2000)`], unpacked);
      for (const e of entries.filter((x) => /^extension\/dist\/.+\.js$/.test(x.name))) {
        for (const [, file] of e
          .read()
          .toString('utf8')
          .matchAll(/["']([\w./-]+\.wasm(?:\.gz)?)["']/g)) {
          assert.ok(
            names.some((n) => n.startsWith('dist/') && path.posix.basename(n) === path.posix.basename(file)),
            `${e.name} loads ${file}, which is not in the package`,
          );
        }
      }
    } finally {
      fs.rmSync(unpacked, { recursive: true, force: true });
    }
    // The README's relative links (images, the IAM policy) resolve inside the package: the details page works offline.
    const readme = entries
      .find((x) => x.name === 'extension/readme.md')
      .read()
      .toString('utf8');
    for (const [, link] of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)\s]+)\)/g)) {
      assert.ok(shipped.has(link.replace(/^\.\//, '')), `the README links to ${link}, which is not in the package`);
    }
    const bytes = fs.statSync(ctx.vsix).size;
    return `${names.length} files, ${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  });

  suite.test('the packaged extension installs into code-server from the .vsix', async () => {
    const id = `lambda-behavior.lambda-behavior@${ctx.version}`;
    assert.ok(ctx.installed.includes(id), `code-server --list-extensions shows ${id} (it lists: ${ctx.installed.join(', ') || 'nothing'})`);
  });

  suite.test(
    'the activity bar opens the Lambda Behavior panel with its welcome view',
    async () => {
      page = await ctx.openPage();
      const tab = page.getByRole('tab', { name: /Lambda Behavior/ });
      await tab.waitFor({ timeout: 60_000 });
      await tab.click();
      await page.getByRole('button', { name: 'Open demo account', exact: true }).waitFor({ timeout: 30_000 });
      await wb.widenSideBar(page, 160);
    },
    { needs: ['the packaged extension installs into code-server from the .vsix'] },
  );

  suite.test(
    '"Open demo account" in the welcome view opens the demo',
    async () => {
      await page.getByRole('button', { name: 'Open demo account', exact: true }).click();
      const status = page.locator('.statusbar-item').filter({ hasText: 'demo account' });
      await status.waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Scan all functions', exact: true }).waitFor({ timeout: 15_000 });
    },
    { needs: ['the activity bar opens the Lambda Behavior panel with its welcome view'] },
  );

  suite.test(
    '"Lambda Behavior: Scan Function" from the command palette offers the demo\'s functions in a quick pick',
    async () => {
      await wb.runCommand(page, 'Lambda Behavior: Scan Function');
      const rows = await wb.waitForQuickPick(page, FUNCTION);
      const labels = rows.map((r) => r.label.replace(/^\$\([\w-]+\)\s*/, ''));
      for (const fn of ctx.expected.functions)
        assert.ok(
          labels.some((l) => l.endsWith(fn.name)),
          `the quick pick offers ${fn.name} (it offers: ${labels.join(' | ')})`,
        );
      await shot('quick-pick.png');
      return `${rows.length} functions offered`;
    },
    { needs: ['"Open demo account" in the welcome view opens the demo'] },
  );

  suite.test(
    `picking ${FUNCTION} scans it and fills the tree`,
    async () => {
      await wb.quickPickRow(page, FUNCTION).click();
      const row = wb.treeRow(page, FUNCTION);
      await row.waitFor({ timeout: 60_000 });
      const want = `${expectedFn.findings.length} finding${expectedFn.findings.length === 1 ? '' : 's'}`;
      await page
        .waitForFunction(
          ([name, description]) =>
            [...document.querySelectorAll('.part.sidebar .monaco-list-row')].some(
              (el) =>
                el.querySelector('.label-name')?.textContent?.trim() === name &&
                el.querySelector('.label-description')?.textContent?.trim() === description,
            ),
          [FUNCTION, want],
          { timeout: 30_000 },
        )
        .catch(async () => {
          throw new Error(`expected the ${FUNCTION} row to read "${want}"; the tree shows: ${describeRows(await wb.treeRows(page))}`);
        });
      return want;
    },
    { needs: ['"Lambda Behavior: Scan Function" from the command palette offers the demo\'s functions in a quick pick'] },
  );

  suite.test(
    `${FUNCTION}'s alert tooltip explains the finding (${NEW_CALL}: what changed, what to do)`,
    async () => {
      // The scan's progress notification covers the panel's bottom: let it go before the picture.
      await page
        .locator('.notifications-toasts .notification-toast')
        .waitFor({ state: 'detached', timeout: 15_000 })
        .catch(() => undefined);
      const fnRow = wb.treeRow(page, FUNCTION);
      await wb.expand(fnRow);
      let alert = wb.treeRow(page, newCallFinding.title);
      if (!(await alert.isVisible().catch(() => false))) {
        // Alerts may be a collapsed group under the function.
        const group = wb
          .sideBarRows(page)
          .filter({ hasText: /^Alerts/ })
          .first();
        if (await group.isVisible().catch(() => false)) await wb.expand(group);
        alert = wb.treeRow(page, newCallFinding.title);
      }
      await alert.waitFor({ timeout: 10_000 }).catch(async () => {
        throw new Error(
          `no alert row "${newCallFinding.title}" under ${FUNCTION}; the tree shows: ${describeRows(await wb.treeRows(page))}`,
        );
      });
      const text = squash(await wb.hoverText(page, alert, NEW_CALL));
      assert.ok(text.includes(squash(newCallFinding.title)), `the tooltip names the finding "${newCallFinding.title}": ${text}`);
      assert.ok(text.includes(squash(newCallFinding.detail)), `the tooltip says what changed ("${newCallFinding.detail}"): ${text}`);
      assert.match(text, /What to do/, 'the tooltip says what to do');
      const file = await shot('panel-tooltip.png');
      return file;
    },
    { needs: [`picking ${FUNCTION} scans it and fills the tree`] },
  );

  const DIFF_OPENS = `"Lambda Behavior: Show Behaviour Diff" opens ${FUNCTION}'s diff webview`;
  suite.test(
    DIFF_OPENS,
    async () => {
      await page.mouse.move(640, 700);
      await wb.runCommand(page, 'Lambda Behavior: Show Behaviour Diff');
      // With no tree selection the command asks which function.
      const picked = await wb.waitForQuickPick(page, FUNCTION, 5_000).then(
        () => true,
        () => false,
      );
      if (picked) await wb.quickPickRow(page, FUNCTION).click();
      const frame = await wb.webviewFrame(page, '#title');
      assert.equal((await frame.locator('#title').innerText()).trim(), FUNCTION, '#title holds the function name');
    },
    { needs: [`picking ${FUNCTION} scans it and fills the tree`] },
  );

  suite.test(
    `the diff opens beside ${FUNCTION}'s handler source (${expectedFn.handler})`,
    async () => {
      // Two editor groups side by side: the handler's text editor, the webview beside it.
      await page
        .waitForFunction(() => document.querySelectorAll('.part.editor .editor-group-container').length >= 2, undefined, {
          timeout: 10_000,
        })
        .catch(() => undefined);
      const groups = await page.locator('.part.editor .editor-group-container').count();
      const tabs = (await page.locator('.part.editor .tab .label-name').allInnerTexts()).map((t) => t.trim());
      assert.ok(groups >= 2, `the diff opens beside the source (editor groups: ${groups}; tabs: ${tabs.join(' | ')})`);
      const module = path.posix.basename(expectedFn.handler.replace(/\.[^./]+$/, ''));
      assert.ok(
        tabs.some((t) => t.startsWith(`${module}.`)),
        `a tab shows the handler's module ${module}.* (tabs: ${tabs.join(' | ')})`,
      );
      const textEditors = await page.locator('.part.editor .editor-group-container .monaco-editor .view-lines').count();
      assert.ok(textEditors >= 1, 'a text editor (the handler) is open beside the diff');
    },
    { needs: [DIFF_OPENS] },
  );

  suite.test(
    `the behaviour diff shows ${FUNCTION}: its findings, the new ${NEW_CALL} call, the chart`,
    async () => {
      const frame = await wb.webviewFrame(page, '#title');
      const findings = squash(await frame.locator('#findings').innerText());
      for (const f of expectedFn.findings) assert.ok(findings.includes(squash(f.title)), `#findings lists "${f.title}": ${findings}`);
      const added = frame.locator(`#api-calls tr[data-status="added"][data-subject*="${NEW_CALL}"]`);
      assert.equal(await added.count(), 1, `#api-calls has one added row for ${NEW_CALL}`);
      const rows = await frame.locator('#api-calls tr[data-status]').count();
      const subjects = await frame
        .locator('#api-calls tr[data-status]')
        .evaluateAll((els) => els.map((el) => el.getAttribute('data-subject')));
      // The function's own calls; the Lambda service's (the runtime's kms:Decrypt of its environment) are shown apart.
      for (const call of expectedFn.apiCalls.filter((c) => c.caller === 'function')) {
        const subject = `${call.eventSource}:${call.eventName}`;
        assert.ok(subjects.includes(subject), `#api-calls has a row for ${subject} (rows: ${subjects.join(', ')})`);
      }
      // OrderApi runs outside a VPC: no flow logs, so its peers section is there but may be empty.
      assert.equal(await frame.locator('#peers').count(), 1, 'the diff has a #peers section');
      const peers = await frame.locator('#peers tr[data-status]').count();
      assert.ok(peers >= expectedFn.peers.length, `#peers lists the function's ${expectedFn.peers.length} network peers (rows: ${peers})`);
      const chart = frame.locator('#chart svg').first();
      await chart.waitFor({ timeout: 5_000 }).catch(() => {
        throw new Error('#chart has no <svg>');
      });
      const box = await chart.boundingBox();
      assert.ok(
        box && box.width > 100 && box.height > 50,
        `the chart is drawn at a readable size (${box ? `${box.width}×${box.height}` : 'not laid out'})`,
      );
      assert.ok((await chart.locator('path, rect, polyline, line, circle').count()) > 0, 'the chart draws something');
      const top = await shot('diff-beside-source.png');
      // The tables and the chart are below the findings: a second picture of them.
      await frame.locator('#api-calls').scrollIntoViewIfNeeded();
      const tables = await shot('diff-api-calls.png');
      await chart.scrollIntoViewIfNeeded();
      const chartShot = await shot('diff-chart.png');
      await frame.locator('#title').scrollIntoViewIfNeeded();
      return `${rows} API-call rows, ${peers} peer rows; ${top}, ${tables}, ${chartShot}`;
    },
    { needs: [DIFF_OPENS] },
  );

  suite.test(
    `clicking ${NEW_CALL} in the diff selects the line of the handler that makes the call`,
    async () => {
      const frame = await wb.webviewFrame(page, '#api-calls');
      const row = frame.locator(`#api-calls tr.revealable[data-subject*="${NEW_CALL}"]`).first();
      assert.equal(await row.count(), 1, `the ${NEW_CALL} row is revealable`);
      await row.click();
      let file;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !(file && callPattern(NEW_CALL).test(fs.readFileSync(file, 'utf8')))) {
        await page.waitForTimeout(200);
        file = await wb.activeEditorPath(page);
      }
      assert.ok(file, `the editor shows a file after the click (window title: ${await page.title()})`);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const want = lines.findIndex((l) => callPattern(NEW_CALL).test(l)) + 1;
      assert.ok(want > 0, `${file} makes the ${NEW_CALL} call`);
      const cursor = await wb.cursorPosition(page);
      assert.equal(cursor.line, want, `the cursor is on line ${want} (${lines[want - 1].trim()}); the status bar says ${cursor.text}`);
      assert.ok(cursor.selected > 0, `the call is selected (${cursor.text})`);
      const revealed = await shot('revealed-line.png');
      // The README's picture: the selected line beside the diff's API calls and the chart against the baseline band.
      await frame.locator('#api-calls').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      // The narrow editor scrolled sideways to show the whole selection; scroll back so lines read from their start.
      const editorBox = await page.locator('.part.editor .monaco-editor .overflow-guard').first().boundingBox();
      if (editorBox) {
        await page.mouse.move(editorBox.x + editorBox.width / 2, editorBox.y + editorBox.height / 2);
        for (let i = 0; i < 5; i++) await page.mouse.wheel(-2000, 0);
        await page.waitForTimeout(300);
      }
      const readme = await shot('diff-beside-handler.png');
      return `${path.basename(file)}:${want} ${cursor.text}; ${revealed}, ${readme}`;
    },
    { needs: [`the behaviour diff shows ${FUNCTION}: its findings, the new ${NEW_CALL} call, the chart`] },
  );

  suite.test(
    `the handler carries a CodeLens with ${FUNCTION}'s alert count`,
    async () => {
      const n = expectedFn.findings.length;
      const lens = page
        .locator('.part.editor .codelens-decoration')
        .filter({ hasText: new RegExp(`\\b${n}\\b`) })
        .first();
      await lens.waitFor({ timeout: 10_000 }).catch(async () => {
        const shown = await page.locator('.part.editor .codelens-decoration').allInnerTexts();
        throw new Error(`no CodeLens with ${n} in the editor (CodeLenses: ${shown.join(' | ') || 'none'})`);
      });
      return (await lens.innerText()).trim();
    },
    { needs: [`clicking ${NEW_CALL} in the diff selects the line of the handler that makes the call`] },
  );

  suite.test(
    `diagnostics mark the lines that call ${NEW_CALL} and ${DENIED_CALL} (Problems panel)`,
    async () => {
      const rows = await wb.problems(page);
      for (const call of [NEW_CALL, DENIED_CALL]) {
        const marker = rows.find((r) => r.text.includes(call) && r.line !== undefined);
        assert.ok(marker, `the Problems panel has a problem about ${call} (it shows: ${rows.map((r) => r.text).join(' | ') || 'nothing'})`);
        const sites = callSites(ctx.workspace, call);
        assert.ok(sites.length > 0, `the workspace has a line that calls ${call}`);
        const want = sites.map((x) => `${path.basename(x.file)}:${x.line}`);
        assert.ok(
          sites.some((x) => x.line === marker.line),
          `the ${call} problem is on the line that makes the call (${want.join(', ')}); it is on line ${marker.line}: ${marker.text}`,
        );
      }
      return `${rows.length} rows; ${await shot('problems.png')}`;
    },
    { needs: [`picking ${FUNCTION} scans it and fills the tree`] },
  );

  suite.test(
    '"Scan All Functions" shows every function of the demo with its finding count',
    async () => {
      await wb.runCommand(page, 'Lambda Behavior: Scan All Functions');
      const tab = page.getByRole('tab', { name: /Lambda Behavior/ });
      if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
      const counts = Object.fromEntries(
        ctx.expected.functions.map((f) => [
          f.name,
          f.findings.length === 0 ? 'no findings' : `${f.findings.length} finding${f.findings.length === 1 ? '' : 's'}`,
        ]),
      );
      const matches = (rows) => Object.entries(counts).every(([name, d]) => rows.some((r) => r.label === name && r.description === d));
      const deadline = Date.now() + 60_000;
      let rows = [];
      while (Date.now() < deadline && !matches(rows)) {
        await page.waitForTimeout(250);
        rows = await wb.treeRows(page);
      }
      assert.ok(
        matches(rows),
        `expected ${Object.entries(counts)
          .map(([n, d]) => `${n} (${d})`)
          .join(', ')}; the tree shows: ${describeRows(rows)}`,
      );
      await page
        .locator('.notifications-toasts .notification-toast')
        .waitFor({ state: 'detached', timeout: 15_000 })
        .catch(() => undefined);
      return `${ctx.expected.functions.length} functions; ${await shot('panel-all-functions.png')}`;
    },
    { needs: ['"Open demo account" in the welcome view opens the demo'] },
  );

  suite.test(
    `an open behaviour diff comes back after the window reloads, with the restored scan`,
    async () => {
      // Reload as a person does: after the workbench has saved the layout with the diff in it (see savedEditorsContain).
      // The diff's own state (the function it shows) must be in that layout too: a panel saved before its page set its
      // state cannot be revived and is closed.
      await wb.savedEditorsContain(page, ['lambdaBehavior.diff', 'functionName', FUNCTION]);
      await page.reload();
      const frame = await wb.webviewFrame(page, '#title', 60_000);
      assert.equal((await frame.locator('#title').innerText()).trim(), FUNCTION, "the restored panel is the same function's");
      // The panel comes back before the saved scan is read; it renders the findings once the scan is restored.
      await frame
        .locator('#findings [data-finding-id]')
        .first()
        .waitFor({ timeout: 30_000 })
        .catch(async () => {
          throw new Error(`the restored diff shows no findings: ${squash(await frame.locator('body').innerText()).slice(0, 300)}`);
        });
      assert.equal(await frame.locator('#no-source').count(), 0, "the restored panel still knows the handler's source");
      // The diagnostics come back with the restored scan too: the lines are marked again without a new scan.
      const deadline = Date.now() + 30_000;
      let rows = [];
      while (Date.now() < deadline && !rows.some((r) => r.text.includes(NEW_CALL) && r.line !== undefined)) {
        rows = await wb.problems(page);
        if (!rows.some((r) => r.text.includes(NEW_CALL))) await page.waitForTimeout(500);
      }
      assert.ok(
        rows.some((r) => r.text.includes(NEW_CALL) && r.line !== undefined),
        `Problems lists ${NEW_CALL} after the reload (it shows: ${rows.map((r) => r.text).join(' | ') || 'nothing'})`,
      );
      return shot('diff-after-reload.png');
    },
    { needs: [DIFF_OPENS] },
  );

  suite.test(
    `"Lambda Behavior: Propose Least Privilege" shows ${FUNCTION}'s template edit in the refactor preview (nothing written), and the diff's Permissions section`,
    async () => {
      const template = path.join(ctx.workspace, 'template.yaml');
      const before = fs.readFileSync(template, 'utf8');
      await wb.runCommand(page, 'Lambda Behavior: Propose Least Privilege');
      await wb.waitForQuickPick(page, FUNCTION);
      await wb.quickPickRow(page, FUNCTION).click();
      // The refactor preview (VS Code's bulk-edit pane): the template's change, waiting for Apply or Discard.
      const discard = page.locator('.monaco-button', { hasText: /^Discard$/ }).first();
      await discard.waitFor({ timeout: 60_000 }).catch(async () => {
        throw await wb.notFound(page, 'the refactor preview did not open (no Discard button)');
      });
      const pane = page.locator('.bulk-edit-panel, [id="refactorPreview"]').first();
      await page.getByText('template.yaml').first().waitFor({ timeout: 10_000 });
      const picture = await shot('refactor-preview.png');
      assert.equal(fs.readFileSync(template, 'utf8'), before, 'nothing is written before Apply');
      const paneText = squash(await pane.innerText().catch(() => ''));
      await discard.click();
      assert.equal(fs.readFileSync(template, 'utf8'), before, 'Discard leaves the template as it was');
      // The diff (open since the reload) shows what was judged.
      const frame = await wb.webviewFrame(page, '#permissions', 30_000);
      const section = squash(await frame.locator('#permissions').innerText());
      for (const heading of ['Used', 'Granted, never used', 'Denied', 'Proposed policy'])
        assert.ok(section.includes(heading), `the Permissions section has ${heading}: ${section.slice(0, 300)}`);
      assert.ok(section.includes('iam:CreateUser'), 'the denied call is listed');
      return `${picture}; preview: ${paneText.slice(0, 120)}`;
    },
    { needs: [DIFF_OPENS] },
  );
}

/** Runs node with args in cwd; throws with its output when it fails; resolves to its stdout. */
function node(args, cwd) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
  if (r.status !== 0)
    throw new Error(`the packaged bundle does not load on its own: node ${args.map((a) => a.slice(0, 80)).join(' ')}\n${r.stderr}`);
  return r.stdout;
}

const squash = (s) => String(s).replace(/\s+/g, ' ').trim();
const describeRows = (rows) => rows.map((r) => `${r.label}${r.description ? ` (${r.description})` : ''}`).join(' | ') || 'nothing';

module.exports = { defineUiTests };
