#!/usr/bin/env node
// The README's test command: type-check, build, the extension-host suites, the UI tests against the packaged .vsix, then every test file under test/unit with node's own runner (its summary closes the output, then the tests that failed in any stage again: CI keeps only the tail).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const timings = [];
/** What failed in each stage, printed again when everything has run. */
const closing = [];

/** A stage that must pass for the rest to mean anything (type-check, build): its output as it is. */
const must = (name, cmd, args) => {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) {
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

/** The host suites' and UI checks' lines: `  ✗ title`, then the error indented by six spaces. */
const hostFailure = { starts: (line) => /^ {2}✗ /.test(line), continues: (line) => /^ {6}/.test(line) };
/** node's TAP: `not ok N - title` (not a TODO), then its YAML block, up to its `...`. */
const tapFailure = {
  starts: (line) => /^\s*not ok \d+/.test(line) && !/ # TODO/.test(line),
  continues: (line, block) => !/^\s*\.\.\.$/.test(block[block.length - 1]),
};

/**
 * Runs one stage, its output relayed as it comes and read for failed tests (`failure` says which line starts one and
 * which lines go on with it). Off a terminal (CI) only the tail of thousands of lines may be kept: what failed is
 * printed again when everything has run, so that the closing lines name it. Resolves to whether the stage passed.
 */
function stage(name, cmd, args, failure) {
  const started = Date.now();
  const done = (ok, failures, tail, why) => {
    timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!ok) {
      // A suite fails with its test: the innermost ones say why, their suites are named by their lines alone.
      const lines = failures.length
        ? failures.map((f) => f.join('\n'))
        : ['  no test reported failing: the run itself ended badly; its last lines:', ...tail.map((l) => `    ${l}`)];
      closing.push(`\n${name} ${why}; failed:\n${lines.join('\n')}`);
    }
    return ok;
  };
  if (process.stdout.isTTY) {
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
    return Promise.resolve(done(r.status === 0, [], [], `exited with ${r.status}`));
  }
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], shell: process.platform === 'win32' });
    const failures = [];
    const tail = [];
    let block; // the lines of the failed test being read
    let rest = '';
    const take = (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (block && block.length < 40 && failure.continues(line, block)) block.push(line);
      else {
        block = undefined;
        if (failure.starts(line)) failures.push((block = [line]));
      }
    };
    child.stdout.setEncoding('utf8');
    child.on('error', (err) => resolve(done(false, [], [], `could not start (${err.message})`)));
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      lines.forEach(take);
    });
    child.on('close', (code) => {
      if (rest) take(rest);
      resolve(done(code === 0, failures, tail, `exited with ${code}`));
    });
  });
}

(async () => {
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
      if (!(await stage('host suites', process.execPath, [path.join(root, 'scripts', 'host-test.js')], hostFailure)))
        failed.push('host suites');
      // ui-test.js packages the .vsix itself (a production build into dist/, which the unit tests' CLI runs also use).
      if (!(await stage('package + UI tests', process.execPath, [path.join(root, 'scripts', 'ui-test.js')], hostFailure)))
        failed.push('UI tests');
    }
    console.log(`\nnpm test stages: ${timings.join(', ')}${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}; unit tests follow\n`);
  }
  const files = only.length ? only : testFiles(path.join(root, 'test', 'unit')).sort();
  const unitArgs = ['--import', 'tsx', '--test', ...files];

  if (!(await stage(`unit tests (Node ${process.versions.node})`, process.execPath, unitArgs, tapFailure)))
    failed.push(`unit tests (Node ${process.versions.node})`);

  // The same unit tests (the CLI's runs included: they spawn process.execPath) under the next Node LTS, which newer VS Code
  // releases and AWS SDK releases after January 2027 need. The registry's `node` package ships its binary; npx caches it.
  // LAMBDA_BEHAVIOR_NODE22=0 skips it on a machine without the npm registry; CI always runs it.
  const nextNode = process.env.LAMBDA_BEHAVIOR_NEXT_NODE ?? 'node@22';
  if (Number(process.versions.node.split('.')[0]) < 22 && !(process.env.LAMBDA_BEHAVIOR_NODE22 === '0' && !process.env.CI)) {
    console.log(`\nunit tests again under ${nextNode}\n`);
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    if (!(await stage(`unit tests (${nextNode})`, npx, ['-y', nextNode, ...unitArgs], tapFailure))) failed.push(`unit tests (${nextNode})`);
  }
  // On stdout, after everything it relays: what failed, whichever stage it was in, then the one-line verdict.
  for (const text of closing) console.log(text);
  if (failed.length) console.log(`npm test: FAILED: ${failed.join(', ')}`);
  // Not process.exit(): output to a pipe is written asynchronously, and exiting now would cut off its end.
  process.exitCode = failed.length > 0 ? 1 : 0;
})();
