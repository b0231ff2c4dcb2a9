// Lint: TypeScript rules, plus the layer fence — the engine (src/core) never imports VS Code or the AWS SDK.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'The engine must not import vscode: put VS Code code in src/extension.' },
            { name: 'fs', message: 'The engine reads nothing itself: sources come through the ports.' },
            { name: 'node:fs', message: 'The engine reads nothing itself: sources come through the ports.' },
          ],
          patterns: [{ group: ['@aws-sdk/*', '@smithy/*'], message: 'The engine must not import the AWS SDK: put adapters in src/aws.' }],
        },
      ],
    },
  },
  {
    // Build and bench scripts are plain CommonJS run by node.
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'No default exports.' }],
    },
  },
);
