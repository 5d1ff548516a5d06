import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'data/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  // Swagger UI's additions run in the browser as they are (not bundled).
  { files: ['web/docs/*.js'], languageOptions: { sourceType: 'script', globals: { document: 'readonly', MutationObserver: 'readonly' } } },
  // Imports follow the data flow (ARCHITECTURE.md): bytes in -> ioc/extract -> store -> export/api.
  {
    files: ['src/store/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: ['**/export/*', '**/api/*', '**/cli/*', '**/ingest/*'], message: 'store/ is read by the layers above it and imports none of them.' }],
      }],
    },
  },
  {
    // Pure: values in, values out. Exporters read the store's record shapes (types alone).
    files: ['src/ioc/**/*.ts', 'src/extract/**/*.ts', 'src/export/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: ['pg', 'pg-copy-streams', 'ioredis', 'fastify', 'node:fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:worker_threads']
          .map((name) => ({ name, message: 'ioc/, extract/ and export/ do no I/O.' })),
        patterns: [
          { group: ['**/api/*', '**/cli/*', '**/ingest/*'], message: 'ioc/, extract/ and export/ do no I/O.' },
          { group: ['**/store/*'], allowTypeImports: true, message: 'ioc/, extract/ and export/ do no I/O: the store\'s types alone.' },
        ],
      }],
    },
  },
);
