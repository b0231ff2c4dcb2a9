// Loads the descriptor parsers (src/source/project.ts with the yaml package, about 140 KB) from their own bundle on the first mapping, not at activation.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export type ProjectModule = typeof import('../../source/project');

let loaded: ProjectModule | undefined;

/** dist/source-project.js beside dist/extension.js (esbuild.config.js builds it). */
export function projectModule(): ProjectModule {
  if (!loaded) {
    const bundle = path.join(__dirname, 'source-project.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: the extension was built without it (npm run build)`);
    loaded = createRequire(__filename)(bundle) as ProjectModule;
  }
  return loaded;
}
