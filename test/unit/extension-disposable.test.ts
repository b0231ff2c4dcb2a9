// The disposal base the extension's long-lived classes share: once, newest first, and nothing registered after it outlives it.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorMessage, errorStack } from '../../src/core/errors';
import { Disposable } from '../../src/extension/disposable';

/** A disposable that writes its name to a shared log each time it is disposed. */
function recorder(log: string[], name: string) {
  return { dispose: () => void log.push(name) };
}

class Owner extends Disposable {
  own<T extends { dispose(): void }>(d: T): T {
    return this.register(d);
  }
  get wasDisposed(): boolean {
    return this.isDisposed;
  }
}

describe('Disposable', () => {
  it('disposes what it registered in reverse order, and hands back what it was given', () => {
    const log: string[] = [];
    const owner = new Owner();
    const first = recorder(log, 'emitter');
    assert.equal(owner.own(first), first);
    owner.own(recorder(log, 'listener'));
    owner.own(recorder(log, 'timer'));
    assert.deepEqual(log, []);
    assert.equal(owner.wasDisposed, false);
    owner.dispose();
    assert.deepEqual(log, ['timer', 'listener', 'emitter']);
    assert.equal(owner.wasDisposed, true);
  });

  it('disposes each thing once, however often it is disposed', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.own(recorder(log, 'a'));
    owner.dispose();
    owner.dispose();
    assert.deepEqual(log, ['a']);
  });

  it('disposes at once what is registered after it was disposed', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.dispose();
    owner.own(recorder(log, 'late watcher'));
    assert.deepEqual(log, ['late watcher']);
    owner.dispose();
    assert.deepEqual(log, ['late watcher']);
  });

  it('disposes the rest when one throws, then rethrows the first failure', () => {
    const log: string[] = [];
    const owner = new Owner();
    owner.own(recorder(log, 'a'));
    owner.own({
      dispose: () => {
        throw new Error('older');
      },
    });
    owner.own({
      dispose: () => {
        throw new Error('newer');
      },
    });
    owner.own(recorder(log, 'd'));
    assert.throws(() => owner.dispose(), /newer/);
    assert.deepEqual(log, ['d', 'a']);
    owner.dispose();
    assert.deepEqual(log, ['d', 'a']);
  });
});

describe('errorMessage and errorStack', () => {
  it('word an Error by its message and anything else as text', () => {
    assert.equal(errorMessage(new TypeError('bad input')), 'bad input');
    assert.equal(errorMessage('plain'), 'plain');
    assert.equal(errorMessage(42), '42');
    assert.equal(errorMessage(undefined), 'undefined');
    assert.equal(errorMessage(null), 'null');
  });

  it('give the stack of an Error, and text for anything else (even undefined)', () => {
    const err = new Error('boom');
    assert.equal(errorStack(err), err.stack);
    assert.match(errorStack(err), /^Error: boom\n\s+at /);
    const bare = new Error('no stack');
    bare.stack = undefined;
    assert.equal(errorStack(bare), 'Error: no stack');
    assert.equal(errorStack('plain'), 'plain');
    assert.equal(errorStack(undefined), 'undefined');
  });
});
