#!/usr/bin/env node
// The README's test command: type-check, build, the extension-host suites, the UI tests against the packaged .vsix, then every test file under test/unit with node's own runner (its summary closes the output, then the failed tests again when some failed: CI reads it).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const timings = [];
/** Runs one stage; resolves to whether it passed. */
const stage = (name, cmd, args) => {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return r.status === 0;
};
const must = (name, cmd, args) => {
  if (!stage(name, cmd, args)) {
    console.error(`npm test: ${name} failed`);
    process.exit(1);
  }
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
const failed = [];
if (only.length === 0) {
  const tsc = require.resolve('typescript/bin/tsc');
  must('typecheck', process.execPath, [tsc, '-p', '.', '--noEmit']);
  must('typecheck (webview)', process.execPath, [tsc, '-p', 'src/webview', '--noEmit']); // the webview's browser code: DOM types
  must('build', process.execPath, ['esbuild.config.js']);
  // code-server (a real VS Code) and headless Chromium, installed on first run: the suites in its extension host,
  // then the packaged .vsix driven as a person would. A failure here still lets the unit tests run (one CI run shows
  // every failure); npm test exits non-zero at the end. LAMBDA_BEHAVIOR_SKIP_HOST=1 skips both on a machine that
  // cannot install code-server; CI always runs them.
  if (process.env.LAMBDA_BEHAVIOR_SKIP_HOST === '1' && !process.env.CI) {
    console.log('host and UI tests skipped (LAMBDA_BEHAVIOR_SKIP_HOST=1)');
  } else {
    if (!stage('host suites', process.execPath, [path.join(root, 'scripts', 'host-test.js')])) failed.push('host suites');
    // ui-test.js packages the .vsix itself (a production build into dist/, which the unit tests' CLI runs also use).
    if (!stage('package + UI tests', process.execPath, [path.join(root, 'scripts', 'ui-test.js')])) failed.push('UI tests');
  }
  console.log(`\nnpm test stages: ${timings.join(', ')}${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}; unit tests follow\n`);
}
const files = only.length ? only : testFiles(path.join(root, 'test', 'unit')).sort();
const unitArgs = ['--import', 'tsx', '--test', ...files];

/**
 * Runs the unit tests, their output passed through as it comes. Off a terminal (CI) the output is TAP, thousands of lines
 * of which only the tail may be kept: the failed tests are collected (with their YAML block: error, location) and printed
 * again at the end, so that the closing lines name them.
 */
function unitTests(cmd, args, label) {
  if (process.stdout.isTTY) return Promise.resolve(spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], shell: process.platform === 'win32' });
    const failures = [];
    let block; // the lines of the failed test being read, until its YAML block ends
    let rest = '';
    const take = (line) => {
      if (block) {
        block.push(line);
        if (/^\s*\.\.\.$/.test(line) || block.length > 40) block = undefined;
      } else if (/^\s*not ok \d+/.test(line) && !/ # TODO/.test(line)) failures.push((block = [line]));
    };
    child.stdout.setEncoding('utf8');
    child.on('error', (err) => {
      console.log(`\nunit tests (${label}) could not start: ${err.message}`);
      resolve(false);
    });
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      lines.forEach(take);
    });
    child.on('close', (code) => {
      if (rest) take(rest);
      if (code !== 0) {
        // A suite fails with its test: the innermost ones say why, their suites are named by their lines alone.
        console.log(`\nunit tests (${label}) exited with ${code}; failed:`);
        for (const f of failures) console.log(f.join('\n'));
        if (!failures.length) console.log('  no test reported failing: the runner itself ended badly (see the output above)');
      }
      resolve(code === 0);
    });
  });
}

(async () => {
  if (!(await unitTests(process.execPath, unitArgs, `Node ${process.versions.node}`)))
    failed.push(`unit tests (Node ${process.versions.node})`);

  // The same unit tests (the CLI's runs included: they spawn process.execPath) under the next Node LTS, which newer VS Code
  // releases and AWS SDK releases after January 2027 need. The registry's `node` package ships its binary; npx caches it.
  // LAMBDA_BEHAVIOR_NODE22=0 skips it on a machine without the npm registry; CI always runs it.
  const nextNode = process.env.LAMBDA_BEHAVIOR_NEXT_NODE ?? 'node@22';
  if (Number(process.versions.node.split('.')[0]) < 22 && !(process.env.LAMBDA_BEHAVIOR_NODE22 === '0' && !process.env.CI)) {
    console.log(`\nunit tests again under ${nextNode}\n`);
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    if (!(await unitTests(npx, ['-y', nextNode, ...unitArgs], nextNode))) failed.push(`unit tests (${nextNode})`);
  }
  if (failed.length) console.log(`npm test: FAILED: ${failed.join(', ')}`); // on stdout, after everything it relays
  // Not process.exit(): output to a pipe is written asynchronously, and exiting now would cut off its end.
  process.exitCode = failed.length > 0 ? 1 : 0;
})();
