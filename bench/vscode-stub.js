// A stand-in `vscode` module for loading the extension outside VS Code (activation benchmark, package check): generic, so it keeps working whatever activate() grows to call.
'use strict';
const Module = require('node:module');
const path = require('node:path');

/**
 * Anything: a callable, constructible value whose every property is another such value (stable per name),
 * whose calls return one (a disposable, an event, a tree view...), and which awaits to undefined (a dismissed
 * prompt). It turns into '' or 0 when used as a primitive and iterates as empty.
 */
function anything(name = 'vscode') {
  const props = new Map();
  const target = function () {};
  const proxy = new Proxy(target, {
    get(_t, key) {
      if (key === 'then') return (resolve) => resolve(undefined);
      if (key === Symbol.toPrimitive) return (hint) => (hint === 'number' ? 0 : '');
      if (key === Symbol.iterator) return function* () {};
      if (key === Symbol.asyncIterator) return async function* () {};
      if (key === 'toJSON') return () => null;
      if (key === 'toString') return () => `[stub ${name}]`;
      if (typeof key === 'symbol') return undefined;
      if (!props.has(key)) props.set(key, anything(`${name}.${key}`));
      return props.get(key);
    },
    set(_t, key, value) {
      props.set(key, value);
      return true;
    },
    apply() {
      return anything(`${name}()`);
    },
    construct(_t, _args, newTarget) {
      // A subclass (class X extends vscode.TreeItem) gets its own prototype; a direct `new` an anything-backed object.
      return Object.create(newTarget === proxy ? anything(`new ${name}`) : newTarget.prototype);
    },
  });
  return proxy;
}

/** The parts whose behaviour code relies on as values (paths, events, settings); the rest is anything(). */
class Uri {
  constructor(scheme, authority, p, query = '', fragment = '') {
    this.scheme = scheme;
    this.authority = authority;
    this.path = p;
    this.query = query;
    this.fragment = fragment;
  }
  get fsPath() {
    return path.normalize(this.path);
  }
  with(change) {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }
  toString() {
    return `${this.scheme}://${this.authority}${this.path}`;
  }
  toJSON() {
    return { scheme: this.scheme, authority: this.authority, path: this.path };
  }
  static file(p) {
    return new Uri('file', '', path.resolve(p));
  }
  static parse(value) {
    const u = new URL(value);
    return new Uri(
      u.protocol.replace(/:$/, ''),
      u.host,
      decodeURIComponent(u.pathname),
      u.search.replace(/^\?/, ''),
      u.hash.replace(/^#/, ''),
    );
  }
  static joinPath(base, ...segments) {
    return base.with({ path: path.posix.join(base.path, ...segments) });
  }
  static from(c) {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
}

class Disposable {
  constructor(fn = () => undefined) {
    this.fn = fn;
  }
  dispose() {
    const fn = this.fn;
    this.fn = () => undefined;
    return fn();
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d?.dispose?.()));
  }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener, thisArg, disposables) => {
      const entry = (e) => listener.call(thisArg, e);
      this.listeners.add(entry);
      const d = new Disposable(() => this.listeners.delete(entry));
      if (Array.isArray(disposables)) disposables.push(d);
      return d;
    };
  }
  fire(e) {
    for (const l of [...this.listeners]) l(e);
  }
  dispose() {
    this.listeners.clear();
  }
}

/** No setting set anywhere: every get() answers its default, as in a fresh profile. */
function configuration() {
  return {
    get: (_key, defaultValue) => defaultValue,
    has: () => false,
    inspect: () => undefined,
    update: () => Promise.resolve(),
  };
}

function createVscodeStub() {
  const workspace = Object.assign(Object.create(anything('vscode.workspace')), {
    getConfiguration: configuration,
    workspaceFolders: undefined,
    isTrusted: true,
  });
  const stub = Object.assign(Object.create(anything('vscode')), { Uri, Disposable, EventEmitter, workspace, version: '1.100.0' });
  return stub;
}

/** A memento (globalState, workspaceState) that starts empty. */
function memento() {
  const values = new Map();
  return {
    keys: () => [...values.keys()],
    get: (key, defaultValue) => (values.has(key) ? values.get(key) : defaultValue),
    update: (key, value) => {
      values.set(key, value);
      return Promise.resolve();
    },
    setKeysForSync: () => undefined,
  };
}

/** An ExtensionContext for an extension installed at `extensionPath`, with its storage under `storageDir`. */
function createContext(extensionPath, storageDir) {
  const extensionUri = Uri.file(extensionPath);
  const context = Object.assign(Object.create(anything('context')), {
    subscriptions: [],
    extensionPath,
    extensionUri,
    globalStorageUri: Uri.file(path.join(storageDir, 'global')),
    storageUri: Uri.file(path.join(storageDir, 'workspace')),
    logUri: Uri.file(path.join(storageDir, 'log')),
    globalStoragePath: path.join(storageDir, 'global'),
    storagePath: path.join(storageDir, 'workspace'),
    logPath: path.join(storageDir, 'log'),
    globalState: memento(),
    workspaceState: memento(),
    extensionMode: 1,
    asAbsolutePath: (p) => path.join(extensionPath, p),
  });
  return context;
}

/** Makes require('vscode') answer the stub in this process. */
function installVscodeStub() {
  const stub = createVscodeStub();
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  const m = new Module('vscode');
  m.filename = 'vscode';
  m.loaded = true;
  m.exports = stub;
  require.cache.vscode = m;
  return stub;
}

module.exports = { anything, installVscodeStub, createContext, Uri, EventEmitter, Disposable };
