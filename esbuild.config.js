// Bundles the CLI (and, later, the extension and the webview) into dist/: one file each, dependencies inlined.
'use strict';
const esbuild = require('esbuild');

const production = process.argv.includes('--production');

/** The CLI loads the live backend (and with it the AWS SDK) from its own bundle, only for a live scan. */
const awsBundleExternal = {
  name: 'aws-bundle-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/aws\/source$/ }, () => ({ path: './aws.js', external: true }));
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
  await esbuild.build({ ...common, entryPoints: { aws: 'src/aws/source.ts' } });
  await esbuild.build({
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    plugins: [awsBundleExternal],
    banner: { js: '#!/usr/bin/env node' },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
