#!/usr/bin/env node
// The README's test command: type-check, build, the extension-host suites, then every test file under test/unit with node's own runner.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [path.relative(root, p)] : [];
  });
}

const only = process.argv.slice(2);
if (only.length === 0) {
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', '.', '--noEmit']);
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'src/webview', '--noEmit']); // the webview's browser code: DOM types
  run(process.execPath, ['esbuild.config.js']);
}
// The extension's suites in a real VS Code extension host (code-server + headless Chromium; installs on first
// run). Before the unit tests so that node's summary closes the output. LAMBDA_BEHAVIOR_SKIP_HOST=1 skips them on
// a machine that cannot install code-server; CI always runs them.
if (only.length === 0) {
  if (process.env.LAMBDA_BEHAVIOR_SKIP_HOST === '1' && !process.env.CI) console.log('host tests skipped (LAMBDA_BEHAVIOR_SKIP_HOST=1)');
  else run(process.execPath, [path.join(root, 'scripts', 'host-test.js')]);
}
const files = only.length ? only : testFiles(path.join(root, 'test', 'unit')).sort();
run(process.execPath, ['--import', 'tsx', '--test', ...files]);
