#!/usr/bin/env node
// One activation measured in this (fresh) process: require(dist/extension.js) and activate(context) against the stub vscode module; prints JSON (times, and which bundles and modules activation loaded).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { installVscodeStub, createContext } = require('./vscode-stub');

const [extensionJs = path.join(__dirname, '..', 'dist', 'extension.js')] = process.argv.slice(2);
const entry = path.resolve(extensionJs);
const extensionPath = path.dirname(path.dirname(entry));

async function main() {
  installVscodeStub();
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-behavior-activation-'));
  try {
    const before = new Set(Object.keys(require.cache));
    const t0 = performance.now();
    const extension = require(entry);
    const t1 = performance.now();
    const context = createContext(extensionPath, storage);
    const returned = extension.activate(context);
    const t2 = performance.now();
    // activate() may be async: its promise settling is part of activation as VS Code counts it.
    if (returned && typeof returned.then === 'function' && !isStub(returned)) await returned;
    const t3 = performance.now();
    const loaded = Object.keys(require.cache).filter((k) => !before.has(k) && k !== 'vscode');
    console.log(
      JSON.stringify({
        requireMs: t1 - t0,
        activateMs: t3 - t1,
        activateSyncMs: t2 - t1,
        totalMs: t3 - t0,
        subscriptions: context.subscriptions.length,
        loaded: loaded.map((k) => path.relative(extensionPath, k)),
      }),
    );
  } finally {
    fs.rmSync(storage, { recursive: true, force: true });
  }
}

/** The stub's own values are thenables too; an activate() that returns one did not return a promise. */
function isStub(value) {
  return typeof value === 'function' && String(value).startsWith('[stub');
}

main().then(
  // Deferred work activate() scheduled (a restore from storage) must not keep the benchmark waiting.
  () => process.exit(0),
  (err) => {
    console.error(err?.stack ?? String(err));
    process.exit(1);
  },
);
