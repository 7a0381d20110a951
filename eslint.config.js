// ESLint for every .ts, .svelte and .js file, and the layering of the code as allow-lists.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layerlab from './eslint/layers.js';

const root = import.meta.dirname;
const NODE = 'node:*';

/**
 * Where code may run, first match wins. A layer's `imports` are globs of our own files,
 * `packages` the libraries it may use. Tests, benches and scripts are free.
 */
export const LAYERS = [
  {
    name: 'src/shared',
    files: ['src/shared/**'],
    imports: ['src/shared/**'],
    packages: ['zod'],
    why: 'shared code runs in every process, so it uses nothing platform-specific and nothing of ours outside src/shared',
  },
  {
    name: 'the trainer process (src/core/engine)',
    files: ['src/core/engine/**'],
    imports: ['src/core/engine/**', 'src/core/data/**', 'src/shared/**'],
    packages: ['@tensorflow/*', NODE],
    why: 'the trainer runs alone in its own process: it uses only tfjs, the data readers and shared code',
  },
  {
    name: 'the image import (src/core/data/image-folder.ts)',
    files: ['src/core/data/image-folder.ts'],
    imports: ['src/core/**', 'src/shared/**'],
    packages: [NODE, 'sharp'],
    why: 'only the image import decodes images; the trainer opens imported datasets through dataset-file.ts, without sharp',
  },
  {
    name: 'src/core',
    files: ['src/core/**'],
    imports: ['src/core/**', 'src/shared/**'],
    packages: [NODE, 'better-sqlite3', 'ws', 'zod'],
    why: 'core services run in plain Node under the app, the CLI and browser mode: never electron, the shell, the CLI or the renderer; tfjs only in the trainer',
  },
  {
    name: 'the desktop shell (src/main)',
    files: ['src/main/**'],
    imports: ['src/main/**', 'src/core/**', 'src/shared/**'],
    packages: ['electron', NODE],
    why: 'the shell is thin glue between Electron and the core services',
  },
  {
    name: 'the preload bridge',
    files: ['src/preload/**'],
    imports: ['src/shared/**'],
    packages: ['electron'],
    why: 'the preload only forwards contract methods over IPC',
  },
  {
    name: 'the CLI',
    files: ['src/cli/**'],
    imports: ['src/cli/**', 'src/core/**', 'src/shared/**'],
    packages: [NODE],
    why: 'the CLI drives the core services from a terminal',
  },
  {
    name: 'renderer components',
    files: ['src/renderer/components/**'],
    imports: ['src/renderer/components/**', 'src/renderer/lib/stores/**', 'src/renderer/lib/charts/**', 'src/renderer/lib/*.ts', 'src/shared/**'],
    packages: ['svelte', 'chart.js'],
    why: 'components reach the API only through the stores in lib/stores, never the transport',
  },
  {
    name: 'renderer stores',
    files: ['src/renderer/lib/stores/**'],
    imports: ['src/renderer/lib/**', 'src/shared/**'],
    packages: ['svelte'],
    why: 'stores hold the renderer state and are the only door to the API',
  },
  {
    name: 'the renderer transport',
    files: ['src/renderer/lib/transport/**'],
    imports: ['src/renderer/lib/transport/**', 'src/shared/**'],
    packages: [],
    why: 'the transport speaks the contract and knows nothing of the UI',
  },
  {
    name: 'renderer helpers',
    files: ['src/renderer/lib/**'],
    imports: ['src/renderer/lib/*.ts', 'src/renderer/lib/charts/**', 'src/shared/**'],
    packages: ['chart.js'],
    why: 'helpers are pure: no state, no API (that is what lib/stores is for)',
  },
  {
    name: 'the renderer',
    files: ['src/renderer/**'],
    imports: ['src/renderer/**', 'src/shared/**'],
    packages: ['svelte'],
    why: 'the renderer is a web page: its own files, shared code and browser libraries',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', '.native/', 'test-results/', 'playwright-report/', '.layerlab-tmp/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // Control characters are matched on purpose: CSV, XML and file names strip them.
      'no-control-regex': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests read what the CLI and the server print as untyped JSON.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['src/**'],
    plugins: { layerlab },
    rules: { 'layerlab/layers': ['error', { root, layers: LAYERS }] },
  },
);
