// The hostile scenario (src/gen/hostile.ts) in the packaged extension, as a person opens it: from the command palette, scanned, an alert's tooltip hovered, its behaviour diff opened; nothing from the data becomes a link, an image, a script or a navigation.
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const wb = require('./workbench');

/** Its rejected-traffic alert names the ENI whose description carries every payload; its cache peer carries markdown links. */
const FUNCTION = 'ThumbnailMaker';
const ALERT = 'Rejected traffic to RDS (RDSNetworkInterface BIDIX';
const OPEN = 'Lambda Behavior: Open Recorded Scenario…';

/**
 * @param {import('./harness').UiSuite} suite
 * @param {{ root: string, resultsDir: string, openPage: () => Promise<import('playwright-core').Page> }} ctx
 */
function defineHostileUiTests(suite, ctx) {
  /** @type {import('playwright-core').Page} */
  let page;
  let dir;
  const shot = (name) => {
    const file = path.join(ctx.resultsDir, name);
    return page.screenshot({ path: file }).then(() => path.relative(ctx.root, file));
  };

  const OPENED = `"${OPEN}" from the command palette opens the hostile scenario`;
  suite.test(OPENED, async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-hostile-ui-'));
    dir = path.join(scratch, 'hostile');
    const tsx = path.join(ctx.root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const gen = spawnSync(process.execPath, [tsx, 'src/gen/main.ts', '--profile', 'hostile', '--seed', '3', '--out', dir], {
      cwd: ctx.root,
      encoding: 'utf8',
    });
    assert.equal(gen.status, 0, `the generator writes the hostile scenario: ${gen.stderr}`);
    page = suite.page() ?? (await ctx.openPage());
    await wb.runCommand(page, OPEN);
    // In the browser the folder dialog is VS Code's simple file dialog: a quick input holding a path.
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    const status = page.locator('.statusbar-item').filter({ hasText: `scenario ${path.basename(dir)}` });
    for (let i = 0; i < 4 && !(await status.isVisible().catch(() => false)); i++) {
      if (!(await input.isVisible().catch(() => false))) break;
      await input.fill(i === 0 ? dir : `${dir}/`);
      await page.waitForTimeout(500);
      await page.keyboard.press('Enter');
      await status.waitFor({ timeout: 3_000 }).catch(() => undefined);
    }
    await status.waitFor({ timeout: 10_000 }).catch(async () => {
      throw await wb.notFound(page, `the status bar does not show "scenario ${path.basename(dir)}" after the folder dialog`);
    });
    return `${dir} through the simple file dialog`;
  });

  const SCANNED = 'Scan All Functions scans the hostile scenario and fills the tree';
  suite.test(
    SCANNED,
    async () => {
      await wb.runCommand(page, 'Lambda Behavior: Scan All Functions');
      const tab = page.getByRole('tab', { name: /Lambda Behavior/ });
      if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
      const row = wb.treeRow(page, FUNCTION);
      await row.waitFor({ timeout: 60_000 });
      await page.waitForFunction(
        (name) =>
          [...document.querySelectorAll('.part.sidebar .monaco-list-row')].some(
            (el) =>
              el.querySelector('.label-name')?.textContent?.trim() === name &&
              /finding/.test(el.querySelector('.label-description')?.textContent ?? ''),
          ),
        FUNCTION,
        { timeout: 60_000 },
      );
      await page
        .locator('.notifications-toasts .notification-toast')
        .waitFor({ state: 'detached', timeout: 15_000 })
        .catch(() => undefined);
    },
    { needs: [OPENED] },
  );

  const HOVERED = `the tooltip of ${FUNCTION}'s hostile alert shows the text, with no link and no image`;
  suite.test(
    HOVERED,
    async () => {
      const fnRow = wb.treeRow(page, FUNCTION);
      await wb.expand(fnRow);
      const alert = wb
        .sideBarRows(page)
        .filter({ has: page.locator('.label-name', { hasText: ALERT }) })
        .first();
      await alert.waitFor({ timeout: 10_000 });
      await page.mouse.move(0, 0);
      await alert.hover();
      const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'HTMLX' }).first();
      await hover.waitFor({ timeout: 10_000 });
      const found = await hover.evaluate((el) => ({
        links: [...el.querySelectorAll('a[href], [data-href]')].map((a) => a.getAttribute('href') ?? a.getAttribute('data-href')),
        images: el.querySelectorAll('img, svg image, video, iframe, script').length,
        // Spaces are &nbsp; in VS Code's escaped markdown.
        text: (el.textContent ?? '').replace(/\s+/g, ' '),
      }));
      assert.deepEqual(
        found.links.filter((h) => /^(command|vscode|https?|file):/i.test(h ?? '')),
        [],
        'no link to command:, vscode:, http(s): or file:',
      );
      assert.deepEqual(found.links, [], 'no link at all: nothing in an alert tooltip is a link');
      assert.equal(found.images, 0, 'no image (or anything else loaded) from the data');
      for (const literal of ['<img src=x onerror="window.__pwned=1;alert(1)">', 'admin[U+202E]gnp.exe', '$(zap)']) {
        assert.ok(found.text.includes(literal), `the tooltip shows ${literal}: ${found.text.slice(0, 400)}`);
      }
      assert.doesNotMatch(found.text, /[\u202A-\u202E\u2066-\u2069]/, 'no bidi control unescaped');
      assert.ok(!found.text.startsWith('**'), 'the markdown is rendered (the title is bold, not asterisks)');
      return shot('hostile-tooltip.png');
    },
    { needs: [SCANNED] },
  );

  suite.test(
    `${FUNCTION}'s behaviour diff creates no element from the data, runs nothing and navigates nowhere`,
    async () => {
      const navigations = [];
      const onNavigated = (frame) => navigations.push(frame.url());
      await page.mouse.move(0, 0);
      const alert = wb
        .sideBarRows(page)
        .filter({ has: page.locator('.label-name', { hasText: ALERT }) })
        .first();
      await alert.click(); // an alert's click opens the function's diff
      let frame;
      const deadline = Date.now() + 30_000;
      while (!frame && Date.now() < deadline) {
        for (const f of page.frames()) {
          const title = await f
            .locator('#title')
            .first()
            .innerText({ timeout: 200 })
            .catch(() => '');
          if (
            title.trim() === FUNCTION &&
            (await f
              .locator('#findings [data-finding-id]')
              .count()
              .catch(() => 0)) > 0
          )
            frame = f;
        }
        if (!frame) await page.waitForTimeout(250);
      }
      assert.ok(frame, `a webview shows ${FUNCTION}'s diff with its findings`);
      // The content frame is written by VS Code's host page: its own URL (fake.html) differs from its document's location.
      const url = frame.url();
      const location = await frame.evaluate(() => window.location.href);
      page.on('framenavigated', onNavigated);
      // Expand every evidence block and every "show all" button: the whole text, 100 KB included, is in the page.
      await frame.evaluate(() => {
        for (const d of document.querySelectorAll('details')) d.open = true;
        for (const b of document.querySelectorAll('button.more')) b.click();
      });
      await page.waitForTimeout(1_000);
      // The body is the extension's page; the head also holds what VS Code's webview host injects (its API script, default styles).
      const state = await frame.evaluate(() => ({
        pwned: window.__pwned,
        images: document.querySelectorAll('img, image, iframe, object, embed, video, audio').length,
        scripts: [...document.body.querySelectorAll('script')].map((s) => ({
          id: s.id,
          nonce: s.nonce || s.getAttribute('nonce') || '',
          src: s.getAttribute('src') ?? '',
        })),
        headScripts: [...document.head.querySelectorAll('script')].filter((s) => /HTMLX|__pwned/.test(s.textContent ?? '')).length,
        links: [...document.body.querySelectorAll('a[href], [href], [xlink\\:href], [src]')]
          .filter((el) => el.tagName !== 'SCRIPT')
          .map((a) => a.outerHTML.slice(0, 120)),
        handlers: [...document.querySelectorAll('*')].flatMap((el) =>
          [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName}[${a.name}]`),
        ),
        styles: document.body.querySelectorAll('style').length,
        text: document.body.innerText,
        href: location.href,
      }));
      page.off('framenavigated', onNavigated);
      assert.equal(state.pwned, undefined, 'window.__pwned is unset: no injected script ran');
      assert.equal(state.images, 0, 'no image or frame from the data');
      assert.equal(state.scripts.length, 1, `one script in the page, its own (${JSON.stringify(state.scripts)})`);
      assert.ok(
        state.scripts[0].id === 'lb-main' && state.scripts[0].nonce,
        `and it is the nonce'd one (${JSON.stringify(state.scripts[0])})`,
      );
      assert.equal(state.headScripts, 0, 'no script from the data in the head either');
      assert.deepEqual(state.links, [], 'no link');
      assert.deepEqual(state.handlers, [], 'no event-handler attribute');
      assert.equal(state.styles, 0, 'no <style> from the data in the page');
      assert.equal(state.href, location, 'the document is still the one the extension loaded');
      assert.equal(frame.url(), url, 'the frame is still the one VS Code created');
      assert.deepEqual(
        navigations.filter((u) => u !== url && !u.startsWith('about:')),
        [],
        'no frame navigated while the diff was open',
      );
      for (const literal of [
        '<img src=x onerror="window.__pwned=1;alert(1)">',
        '[quit](command:workbench.action.quit)',
        'admin[U+202E]gnp.exe',
        '<script>window.__pwned=1;alert(1)</script>',
      ]) {
        assert.ok(state.text.includes(literal), `the diff shows ${literal} as text`);
      }
      const file = await shot('hostile-diff.png');
      await frame.locator('#peers').scrollIntoViewIfNeeded();
      const peers = await shot('hostile-diff-peers.png');
      return `${file}, ${peers}`;
    },
    { needs: [HOVERED] },
  );

  suite.test('the hostile scenario is removed', async () => {
    if (dir) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });
}

module.exports = { defineHostileUiTests };
