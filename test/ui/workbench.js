// How a person works the VS Code workbench, as Playwright steps: the command palette, quick picks, the side bar's tree, hovers, webviews, the status bar and the Problems panel.
'use strict';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').Locator} Locator */

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The quick input widget (palette and quick picks share it). */
function quickInput(page) {
  return page.locator('.quick-input-widget');
}

function quickRows(page) {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
}

/** Visible labels of the quick input's rows (icons stripped: `$(error) OrderApi` reads `OrderApi`). */
async function quickLabels(page) {
  return quickRows(page).evaluateAll((els) =>
    els.map((el) => ({
      label:
        (el.querySelector('.label-name') ?? el.querySelector('.monaco-icon-label'))?.textContent?.trim() ?? el.textContent?.trim() ?? '',
      description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
      aria: el.getAttribute('aria-label') ?? '',
    })),
  );
}

/** What the workbench is telling the user right now (a modal dialog, notification toasts): for failure messages. */
async function screenMessages(page) {
  const texts = [
    ...(
      await page
        .locator('.monaco-dialog-box')
        .allInnerTexts()
        .catch(() => [])
    ).map((t) => `dialog: ${t}`),
    ...(
      await page
        .locator('.notifications-toasts .notification-toast')
        .allInnerTexts()
        .catch(() => [])
    ).map((t) => `notification: ${t}`),
  ];
  return texts.map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/** Closes a modal dialog left by an earlier step (it would swallow every key). */
async function dismissDialogs(page) {
  const dialog = page.locator('.monaco-dialog-box');
  for (let i = 0; i < 3 && (await dialog.count()) > 0; i++) {
    await page.keyboard.press('Escape');
    await dialog
      .first()
      .waitFor({ state: 'detached', timeout: 2_000 })
      .catch(() => undefined);
  }
}

/** An error for a missing thing, with what the screen shows instead. */
async function notFound(page, message) {
  const messages = await screenMessages(page);
  return new Error(messages.length ? `${message}; the workbench shows: ${messages.join(' / ')}` : message);
}

/**
 * F1, type the command's title, pick the row whose label is exactly that title (not a longer title that
 * merely contains it: "Scan Function" must not run "Scan All Functions").
 */
async function runCommand(page, title) {
  await dismissDialogs(page);
  await closeQuickInput(page);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = quickRows(page)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
    .first();
  await row.waitFor({ timeout: 10_000 }).catch(async () => {
    const seen = (await quickLabels(page)).map((r) => r.label).join(' | ');
    throw await notFound(page, `the command palette has no command "${title}" (it offers: ${seen || 'nothing'})`);
  });
  await row.click();
}

/** Waits for a quick pick (not the palette) with a row labelled `label`; resolves to every row's label. */
async function waitForQuickPick(page, label, timeout = 15_000) {
  const row = quickPickRow(page, label);
  // An error dialog instead of the pick fails at once rather than after the timeout.
  const dialog = page.locator('.monaco-dialog-box').first();
  await Promise.race([row.waitFor({ timeout }), dialog.waitFor({ timeout }).then(() => Promise.reject(new Error('dialog')))]).catch(
    async () => {
      const visible = await quickInput(page).isVisible();
      const seen = visible ? (await quickLabels(page)).map((r) => r.label).join(' | ') : '';
      throw await notFound(
        page,
        `no quick pick offered "${label}" within ${timeout / 1000} s (${visible ? `rows: ${seen || 'none'}` : 'no quick pick is open'})`,
      );
    },
  );
  return quickLabels(page);
}

function quickPickRow(page, label) {
  return quickRows(page)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`(^|\\s)${escapeRegExp(label)}$`) }) })
    .first();
}

async function closeQuickInput(page) {
  if (await quickInput(page).isVisible()) await page.keyboard.press('Escape');
  await quickInput(page)
    .waitFor({ state: 'hidden', timeout: 5_000 })
    .catch(() => undefined);
}

/** The rows of the tree views in the side bar. */
function sideBarRows(page) {
  return page.locator('.part.sidebar .pane-body .monaco-list-row');
}

/** Label, description and expansion state of every visible tree row in the side bar. */
async function treeRows(page) {
  return sideBarRows(page).evaluateAll((els) =>
    els.map((el) => ({
      label: el.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: el.querySelector('.label-description')?.textContent?.trim() ?? '',
      expanded: el.getAttribute('aria-expanded'),
      level: Number(el.getAttribute('aria-level') ?? 0),
    })),
  );
}

/** The tree row whose label is exactly `label`. */
function treeRow(page, label) {
  return sideBarRows(page)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
    .first();
}

/** Expands a collapsed tree row (a click on its twistie); does nothing when it is already open. */
async function expand(row) {
  if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
  await row.page().waitForFunction((el) => el.getAttribute('aria-expanded') === 'true', await row.elementHandle(), { timeout: 10_000 });
}

/** Hovers a row and resolves to the text of the hover that appears (the workbench's custom hover). */
async function hoverText(page, row, mustContain, timeout = 10_000) {
  await page.mouse.move(0, 0);
  await row.hover();
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: mustContain }).first();
  await hover.waitFor({ timeout }).catch(async () => {
    const shown = await page.locator('.monaco-hover, .workbench-hover').allInnerTexts();
    throw new Error(`no hover with "${mustContain}" appeared over the row (hovers: ${shown.join(' / ') || 'none'})`);
  });
  return hover.innerText();
}

/** The side bar's width changed by a drag of its sash, so that long labels are readable in screenshots. */
async function widenSideBar(page, by) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const x = box.x + box.width;
  await page.mouse.move(x, 400);
  await page.mouse.down();
  await page.mouse.move(x + by, 400, { steps: 5 });
  await page.mouse.up();
}

/**
 * The content frame of the visible webview. In code-server a webview is nested frames: the workbench's
 * `iframe.webview` (VS Code's host page) holds `iframe#active-frame`, the extension's own document.
 */
async function webviewFrame(page, selector, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.name() !== 'active-frame' && !(await isActiveFrame(frame))) continue;
      if (
        await frame
          .locator(selector)
          .count()
          .catch(() => 0)
      )
        return frame;
    }
    await page.waitForTimeout(200);
  }
  const webviews = await page.locator('iframe.webview').count();
  throw await notFound(page, `no webview showed ${selector} within ${timeout / 1000} s (${webviews} webview frame(s) in the workbench)`);
}

async function isActiveFrame(frame) {
  const el = await frame.frameElement().catch(() => undefined);
  if (!el) return false;
  return (await el.getAttribute('id').catch(() => null)) === 'active-frame';
}

/** The cursor position the status bar shows for the active text editor: { line, column, selected }. */
async function cursorPosition(page, timeout = 10_000) {
  const item = page.locator('#status\\.editor\\.selection');
  await item.waitFor({ timeout }).catch(() => {
    throw new Error('the status bar shows no cursor position: no text editor is active');
  });
  const text = (await item.innerText()).trim();
  const m = /Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(text);
  if (!m) throw new Error(`unexpected status bar selection text: ${text}`);
  return { line: Number(m[1]), column: Number(m[2]), selected: m[3] ? Number(m[3]) : 0, text };
}

/**
 * The active editor's file path, read from the window title (the run's settings make it
 * `${activeEditorLong}`, the full path), or undefined when no file editor is active.
 */
async function activeEditorPath(page) {
  const title = await page.title();
  const first = title.split(' — ')[0].split(' - ')[0].trim();
  return first.startsWith('/') ? first : undefined;
}

/** The Problems panel's rows: { text, line } (line from its "[Ln N, Col M]"). */
async function problems(page) {
  await runCommand(page, 'Problems: Focus on Problems View');
  const panel = page.locator('.markers-panel');
  await panel.waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300); // the tree renders after the view gets focus
  return panel.locator('.monaco-list-row').evaluateAll((els) =>
    els.map((el) => {
      const text = el.textContent?.replace(/\s+/g, ' ').trim() ?? '';
      const ln = /\[Ln (\d+), Col (\d+)\]/.exec(text);
      return { text, aria: el.getAttribute('aria-label') ?? '', line: ln ? Number(ln[1]) : undefined };
    }),
  );
}

/**
 * Resolves once the workbench has saved its open editors with one whose serialized form contains `needle` (a string,
 * or every string of an array).
 * VS Code in a browser keeps its layout in IndexedDB and writes it every few seconds while the page has focus; it
 * does not write on unload (Chromium), so a reload right after opening an editor restores the layout saved before
 * it. A person's reload follows that save; a test's must wait for it too.
 */
async function savedEditorsContain(page, needle, timeout = 30_000) {
  await page.bringToFront();
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = await page.evaluate(async () => {
      const names = (await indexedDB.databases())
        .map((d) => d.name)
        .filter((n) => n && n.startsWith('vscode-web-state-db-') && !n.endsWith('-global'));
      let out = '';
      for (const name of names) {
        out += await new Promise((resolve) => {
          const open = indexedDB.open(name);
          open.onerror = () => resolve('');
          open.onsuccess = () => {
            const db = open.result;
            try {
              const get = db.transaction('ItemTable').objectStore('ItemTable').get('memento/workbench.parts.editor');
              get.onsuccess = () => {
                db.close();
                resolve(String(get.result ?? ''));
              };
              get.onerror = () => {
                db.close();
                resolve('');
              };
            } catch {
              db.close();
              resolve('');
            }
          };
        });
      }
      return out;
    });
    if ([needle].flat().every((n) => last.includes(n))) return;
    await page.waitForTimeout(500);
  }
  throw new Error(
    `the workbench did not save its open editors with ${needle} within ${timeout} ms (saved: ${last.slice(0, 300) || 'nothing'})`,
  );
}

module.exports = {
  savedEditorsContain,
  screenMessages,
  dismissDialogs,
  notFound,
  runCommand,
  waitForQuickPick,
  quickPickRow,
  quickLabels,
  closeQuickInput,
  treeRows,
  treeRow,
  sideBarRows,
  expand,
  hoverText,
  widenSideBar,
  webviewFrame,
  cursorPosition,
  activeEditorPath,
  problems,
};
