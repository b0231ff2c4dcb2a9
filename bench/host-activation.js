#!/usr/bin/env node
// The packaged extension's activation time as VS Code itself measures it (code loading + activate call, "Developer: Show Running Extensions"), in code-server's real extension host; prints JSON.
'use strict';
const path = require('node:path');
const { installCodeServer, CodeServerRun } = require('../scripts/lib/code-server');
const wb = require('../test/ui/workbench');

const [vsix = path.join(__dirname, '..', 'lambda-behavior.vsix'), runsArg = '3'] = process.argv.slice(2);
const RUNS = Number(runsArg);
/** Startup activates the built-in extensions; activating ours after they settle measures ours, not the queue. */
const SETTLE_MS = 3000;

async function once(context, run, workspace) {
  const page = await context.newPage();
  try {
    await page.goto(run.url(workspace));
    const tab = page.getByRole('tab', { name: /Lambda Behavior/ });
    await tab.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(SETTLE_MS);
    await tab.click(); // the view's activation event
    await page.getByRole('button', { name: 'Open demo account', exact: true }).waitFor({ timeout: 30_000 });
    await wb.runCommand(page, 'Developer: Show Running Extensions');
    const row = page.locator('.runtime-extensions-editor .monaco-list-row').filter({ hasText: 'Lambda Behavior' }).first();
    await row.waitFor({ timeout: 15_000 });
    const text = await row.innerText();
    const m = /Activation:\s*(\d+)\s*ms/.exec(text);
    if (!m) throw new Error(`no activation time in the Running Extensions row: ${text.replace(/\s+/g, ' ')}`);
    return Number(m[1]);
  } finally {
    await page.close();
  }
}

async function main() {
  installCodeServer();
  const run = new CodeServerRun({ name: 'bench', resultsDir: path.join(__dirname, '..', 'test-results', 'bench') });
  try {
    const installed = run.installVsix(path.resolve(vsix));
    const workspace = run.workspace();
    await run.start();
    const context = await run.browser();
    const times = [];
    for (let i = 0; i < RUNS; i++) times.push(await once(context, run, workspace));
    return { installed, times, bestMs: Math.min(...times) };
  } finally {
    await run.cleanup();
  }
}

main().then(
  (result) => {
    console.log(JSON.stringify(result));
    process.exit(0);
  },
  (err) => {
    console.error(err?.stack ?? String(err));
    process.exit(1);
  },
);
