// Bundles the CLI (and, later, the extension and the webview) into dist/: one file each, dependencies inlined.
'use strict';
const esbuild = require('esbuild');

const production = process.argv.includes('--production');

async function main() {
  await esbuild.build({
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: !production,
    minify: production,
    external: ['vscode'],
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
