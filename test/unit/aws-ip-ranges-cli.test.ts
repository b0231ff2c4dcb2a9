// The CLI's side of the ip-ranges document: where it is cached, and --ip-ranges refused where a scenario brings its own.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { cliCacheDir } from '../../src/cli/main';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const sample = path.join(root, 'test', 'fixtures', 'scenarios', 'demo');

test('the cache directory: $XDG_CACHE_HOME/lambda-behavior when it is absolute, else ~/.cache/lambda-behavior', () => {
  assert.equal(cliCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), path.join('/var/cache/me', 'lambda-behavior'));
  const home = path.join(os.homedir(), '.cache', 'lambda-behavior');
  assert.equal(cliCacheDir({}), home);
  assert.equal(cliCacheDir({ XDG_CACHE_HOME: '' }), home);
  assert.equal(cliCacheDir({ XDG_CACHE_HOME: 'relative/cache' }), home, 'XDG: a relative path is to be ignored');
});

test('--ip-ranges with a scenario or the demo is bad usage (exit 2) that says why; scan and record list it in --help', () => {
  for (const args of [['--scenario', sample], ['--demo']]) {
    const r = spawnSync(process.execPath, [cli, 'scan', ...args, '--ip-ranges', '/tmp/ranges.json'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--ip-ranges is for a live scan: a scenario brings its own ip-ranges\.json/);
    assert.equal(r.stdout, '');
  }
  for (const command of ['scan', 'record']) {
    const help = spawnSync(process.execPath, [cli, command, '--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /--ip-ranges <file\|url>/);
    assert.match(help.stdout, /https:\/\/ip-ranges\.amazonaws\.com\/ip-ranges\.json/);
  }
});
