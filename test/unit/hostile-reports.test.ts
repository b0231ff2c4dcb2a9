// The CLI's reports of the hostile scenario (src/gen/hostile.ts): the text report carries no terminal control, the HTML report is inert in headless Chromium, JSON and SARIF keep every string exactly.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ScanReport } from '../../src/core/model';
import { generateScenario } from '../../src/gen/generate';
import { HOSTILE, HOSTILE_ALL, HOSTILE_BIG, HOSTILE_PEER_DESCRIPTION } from '../../src/gen/hostile';
import { optionsFromArgv } from '../../src/gen/main';
import { sarifText } from '../../src/report/sarif';
import { renderText } from '../../src/report/text';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-hostile-'));
const hostileDir = path.join(tmp, 'hostile');
const cleanDir = path.join(tmp, 'clean');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scan(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'scan', '--scenario', dir, '--fail-on', 'none', ...args], {
    encoding: 'utf8',
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, `scan ${args.join(' ')} exits 0: ${r.stderr}`);
  return r.stdout;
}

let report: ScanReport;
/** The ENI description the rejected-traffic finding names: every payload in one string. */
const MYSQL_DESCRIPTION = HOSTILE_PEER_DESCRIPTION;

before(async () => {
  assert.ok(fs.existsSync(cli), `${cli} is built (node esbuild.config.js)`);
  await generateScenario(optionsFromArgv(['--profile', 'hostile', '--seed', '5', '--out', hostileDir]));
  await generateScenario(optionsFromArgv(['--profile', 'demo', '--seed', '5', '--out', cleanDir]));
  report = JSON.parse(scan(hostileDir, '--format', 'json')) as ScanReport;
});

const fn = (name: string) => {
  const f = report.functions.find((x) => x.name === name);
  assert.ok(f, `${name} is in the report`);
  return f;
};

describe('hostile scenario: the scan still finds what it should', () => {
  test("the demo's findings are there, and the hostile strings are in them", () => {
    const rejected = report.functions.flatMap((f) => f.findings).filter((f) => f.kind === 'rejected-traffic');
    assert.ok(rejected.length > 0, 'a rejected-traffic finding');
    assert.ok(
      rejected.every((f) => f.title.includes(MYSQL_DESCRIPTION)),
      'its title names the peer by its (hostile) description, unchanged',
    );
    const denied = fn('OrderApi').findings.find((f) => f.kind === 'access-denied');
    assert.ok(denied, "OrderApi's access-denied finding");
    const messages = denied.evidence.errorMessages as string[];
    assert.equal(messages.length, 2);
    assert.ok(
      messages.some((m) => m.endsWith(` ${HOSTILE_ALL}`)) && messages.some((m) => m.endsWith(` ${HOSTILE_BIG}`)),
      'both error messages, the 100 KB one whole',
    );
  });
});

describe('text report', () => {
  let text: string;
  before(() => {
    text = scan(hostileDir);
  });

  test('the hostile strings reach it (as text)', () => {
    for (const marker of ['HTMLX', 'MDX', 'TERMX', 'BIDIX', 'CTRLX']) assert.ok(text.includes(marker), `${marker} is printed`);
    assert.ok(text.includes('<img src=x onerror='), 'markup is printed as it is');
  });

  test('no escape character, no C0/C1 control but the line feed, no bidi control unescaped', () => {
    const bad = [...text].map((ch) => ch.codePointAt(0) ?? 0).filter((c) => (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f));
    assert.deepEqual(
      [...new Set(bad)].map((c) => `U+${c.toString(16).padStart(4, '0')}`),
      [],
    );
    assert.doesNotMatch(text, /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u2028\u2029]/, 'bidi controls and line separators');
    assert.ok(text.includes('[U+202E]'), 'the override is shown as [U+202E]');
    // What the escapes carried does not survive as junk either: the OSC 8 link target, the window title.
    assert.ok(
      !text.includes('8;;https://example.invalid') && !text.includes('0;pwned') && !text.includes('[2J'),
      'escape sequences are removed whole',
    );
  });

  test("with colour on (a terminal), the only escapes are the report's own SGR colours", () => {
    const coloured = renderText(report, { color: true });
    const escapes = coloured.match(/\x1b[^m]*m?/g) ?? [];
    assert.ok(escapes.length > 0, 'colours are on');
    assert.ok(
      escapes.every((e) => /^\x1b\[[0-9;]*m$/.test(e)),
      `only SGR sequences: ${JSON.stringify(escapes.filter((e) => !/^\x1b\[[0-9;]*m$/.test(e)).slice(0, 3))}`,
    );
    const bare = coloured.replace(/\x1b\[[0-9;]*m/g, '');
    assert.doesNotMatch(bare, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202A-\u202E\u2066-\u2069]/);
  });
});

describe('JSON and SARIF keep the strings exactly', () => {
  test('JSON: tags (keys and values, the 100 KB one), error messages, peer names', () => {
    const tags = JSON.parse(fs.readFileSync(path.join(hostileDir, 'lambda', 'tags.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    for (const f of report.functions) assert.deepEqual(f.tags, tags[f.arn], `${f.name}'s tags`);
    assert.equal(fn('OrderApi').tags?.blob, HOSTILE_BIG);
    const peers = report.functions.flatMap((f) => f.peers).map((p) => p.resource);
    assert.ok(peers.includes(`RDS (RDSNetworkInterface ${HOSTILE.html})`));
    assert.ok(peers.includes(`ElastiCache (${HOSTILE.markdown})`));
    assert.ok(
      peers.some((p) => p.includes(HOSTILE.controls) && p.includes(HOSTILE.bidi)),
      'controls and bidi characters kept in a peer name',
    );
  });

  test('SARIF: the message text and the properties hold the title and the evidence unchanged', () => {
    const sarif = JSON.parse(scan(hostileDir, '--format', 'sarif'));
    const results = sarif.runs[0].results as {
      ruleId: string;
      message: { text: string; markdown?: string };
      properties: { evidence: { errorMessages?: string[] } };
    }[];
    const rejected = results.filter((r) => r.ruleId === 'rejected-traffic');
    // Plain text with its brackets escaped (SARIF §3.11.6): `[x](command:…)` from the account is no embedded link.
    assert.ok(rejected.length > 0 && rejected.every((r) => r.message.text.includes(sarifText(MYSQL_DESCRIPTION))));
    assert.ok(
      results.every((r) => !/(^|[^\\])\]\(/.test(r.message.text)),
      'no unescaped "](" in any message',
    );
    assert.ok(
      results.every((r) => r.message.markdown === undefined),
      'no markdown message is built from data',
    );
    const denied = results.find((r) => r.ruleId === 'access-denied');
    assert.deepEqual(
      denied?.properties.evidence.errorMessages,
      fn('OrderApi').findings.find((f) => f.kind === 'access-denied')?.evidence.errorMessages,
    );
  });
});

describe(
  'HTML report in headless Chromium',
  { skip: fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (test/host/install.sh installs it)` },
  () => {
    let browser: Browser;
    let hostileHtml: string;
    let cleanHtml: string;

    before(async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      hostileHtml = scan(hostileDir, '--format', 'html');
      cleanHtml = scan(cleanDir, '--format', 'html');
    });
    after(async () => {
      await browser?.close();
    });

    interface Loaded {
      dialogs: string[];
      consoleErrors: string[];
      pageErrors: string[];
      requests: string[];
      navigations: string[];
      pwned: unknown;
      tags: Record<string, number>;
      /** Elements a report never has, or attributes that run or load something. */
      suspicious: string[];
      text: string;
    }

    /** Opens the report from a file, as a user does, and records everything the page tried. */
    async function load(html: string, name: string): Promise<Loaded> {
      const file = path.join(tmp, `${name}.html`);
      fs.writeFileSync(file, html);
      const url = `file://${file}`;
      const context = await browser.newContext();
      const page = await context.newPage();
      const got: Loaded = {
        dialogs: [],
        consoleErrors: [],
        pageErrors: [],
        requests: [],
        navigations: [],
        pwned: undefined,
        tags: {},
        suspicious: [],
        text: '',
      };
      page.on('dialog', (d) => {
        got.dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss();
      });
      page.on('console', (m) => {
        if (m.type() === 'error') got.consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => got.pageErrors.push(e.message));
      page.on('framenavigated', (f) => {
        if (f.url() !== url) got.navigations.push(f.url());
      });
      await context.route('**/*', (route) => {
        const u = route.request().url();
        if (u === url) return route.continue();
        got.requests.push(u);
        return route.abort();
      });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForTimeout(300); // an onerror handler or a timer would have run by now
      const state = await page.evaluate(() => {
        const tags: Record<string, number> = {};
        const suspicious: string[] = [];
        for (const el of Array.from(document.querySelectorAll('*'))) {
          const tag = el.tagName.toLowerCase();
          tags[tag] = (tags[tag] ?? 0) + 1;
          if (['script', 'img', 'iframe', 'object', 'embed', 'form', 'input', 'link', 'base', 'video', 'audio', 'image'].includes(tag))
            suspicious.push(tag);
          for (const attr of Array.from(el.attributes)) {
            const v = attr.value.trim().toLowerCase();
            if (attr.name.startsWith('on')) suspicious.push(`${tag}[${attr.name}]`);
            if (['href', 'src', 'action', 'xlink:href', 'formaction'].includes(attr.name) && !v.startsWith('#'))
              suspicious.push(`${tag}[${attr.name}=${attr.value.slice(0, 60)}]`);
          }
        }
        return { tags, suspicious, text: document.body.innerText, pwned: (window as unknown as { __pwned?: unknown }).__pwned };
      });
      await context.close();
      return { ...got, ...state };
    }

    function assertInert(got: Loaded): void {
      assert.deepEqual(got.dialogs, [], 'no dialog opened');
      assert.deepEqual(got.pageErrors, [], 'no script error');
      assert.deepEqual(
        got.consoleErrors.filter((m) => !/Content Security Policy/.test(m)),
        [],
        'no console error',
      );
      assert.equal(got.pwned, undefined, 'window.__pwned is never set');
      assert.deepEqual(got.requests, [], 'no network request');
      assert.deepEqual(got.navigations, [], 'no navigation');
      assert.deepEqual(got.suspicious, [], 'no element or attribute from the data');
    }

    test('runs no script, makes no request, creates no element from the data', async () => {
      const got = await load(hostileHtml, 'hostile');
      assertInert(got);
      const clean = await load(cleanHtml, 'clean');
      const extra = Object.keys(got.tags).filter((t) => !(t in clean.tags));
      assert.deepEqual(extra, [], 'only element types the clean report has too');
      for (const tag of ['script', 'img', 'iframe', 'style', 'a']) {
        assert.ok(
          (got.tags[tag] ?? 0) <= (clean.tags[tag] ?? 0),
          `${tag}: ${got.tags[tag] ?? 0} in the hostile report, ${clean.tags[tag] ?? 0} in the clean one`,
        );
      }
      assert.equal(got.tags.style, 1, 'one <style>: the data did not close it');
      assert.equal(got.tags.svg ?? 0, clean.tags.svg ?? 0, 'as many charts as the clean report (no <svg> from the data)');
    });

    test('stays inert without its Content-Security-Policy (escaping alone suffices)', async () => {
      const withoutCsp = hostileHtml.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
      assert.notEqual(withoutCsp, hostileHtml, 'the report has a CSP meta tag to remove');
      assertInert(await load(withoutCsp, 'hostile-no-csp'));
    });

    test('shows the hostile strings as text', async () => {
      const got = await load(hostileHtml, 'hostile-text');
      for (const literal of [
        '<img src=x onerror="window.__pwned=1;alert(1)">',
        '<script>window.__pwned=1;alert(1)</script></style>',
        '[quit](command:workbench.action.quit)',
        '![x](https://example.invalid/x.png)',
        '<a href="command:workbench.action.quit">quit</a>',
        'admin[U+202E]gnp.exe[U+202C]',
        '$(zap)',
      ]) {
        assert.ok(got.text.includes(literal), `the page shows ${literal}`);
      }
      assert.ok(got.text.includes('BIGX') && got.text.includes('BIGEND'), 'the 100 KB strings are there, whole');
    });
  },
);
