// A small sequential runner for the UI checks: each named test prints ✓ or ✗, a failure leaves a screenshot, and later tests that need a failed one say so instead of timing out.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/**
 * @typedef {{ name: string, needs: string[], fn: () => Promise<string | void> }} UiTest
 * @typedef {{ name: string, ok: boolean, ms: number, note?: string, error?: string }} UiResult
 */

class UiSuite {
  /** @param {{ page: () => import('playwright-core').Page | undefined, resultsDir: string }} options */
  constructor({ page, resultsDir }) {
    /** @type {UiTest[]} */
    this.tests = [];
    this.page = page;
    this.resultsDir = resultsDir;
  }

  /**
   * Declares a check. `needs` names earlier checks whose state this one builds on: when one of them failed,
   * this one fails at once with that reason (it would only wait out its timeouts over the wrong screen).
   * fn may resolve to a short note printed after the name.
   */
  test(name, fn, { needs = [] } = {}) {
    this.tests.push({ name, fn, needs });
  }

  /** Runs every check in order; resolves to the results. */
  async run() {
    /** @type {Map<string, UiResult>} */
    const results = new Map();
    let index = 0;
    for (const t of this.tests) {
      index += 1;
      const started = Date.now();
      const unmet = t.needs.filter((n) => {
        const r = results.get(n);
        if (!r) throw new Error(`UI test "${t.name}" needs "${n}", which is not declared before it`);
        return !r.ok;
      });
      /** @type {UiResult} */
      let result;
      if (unmet.length > 0) {
        result = { name: t.name, ok: false, ms: 0, error: `not run: it needs ${unmet.map((n) => `"${n}"`).join(', ')}, which failed` };
      } else {
        try {
          const note = await t.fn();
          result = { name: t.name, ok: true, ms: Date.now() - started, note: note || undefined };
        } catch (err) {
          result = { name: t.name, ok: false, ms: Date.now() - started, error: err instanceof Error ? err.message : String(err) };
          const shot = await this.failureScreenshot(index);
          if (shot) result.error += `\n(screen at the failure: ${shot})`;
        }
      }
      results.set(t.name, result);
      print(result);
    }
    return [...results.values()];
  }

  async failureScreenshot(index) {
    const page = this.page();
    if (!page) return undefined;
    const file = path.join(this.resultsDir, `failure-${String(index).padStart(2, '0')}.png`);
    try {
      fs.mkdirSync(this.resultsDir, { recursive: true });
      await page.screenshot({ path: file, timeout: 10_000 });
      return path.relative(process.cwd(), file);
    } catch {
      return undefined;
    }
  }
}

/** @param {UiResult} r */
function print(r) {
  const mark = r.ok ? '✓' : '✗';
  console.log(`  ${mark} ${r.name}${r.note ? ` — ${r.note}` : ''} (${r.ms} ms)`);
  if (r.error)
    console.log(
      r.error
        .split('\n')
        .map((l) => `      ${l}`)
        .join('\n'),
    );
}

module.exports = { UiSuite };
