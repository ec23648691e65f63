// ESLint for the whole workspace (flat config; each package's `lint` script runs it on its folder).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Node's built-ins and the /node subpaths of our packages: never in a platform-neutral core. */
const NODE_ONLY = {
  patterns: [
    {
      group: ['node:*'],
      message: 'Core code runs in browsers too: Node built-ins belong in a src/node/ subpath, an app or a tool.',
    },
    {
      group: ['@vmcore/*/node'],
      message: "A core module must not reach a package's Node-only /node subpath.",
    },
  ],
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/bundle/**', '**/node_modules/**', '**/build/**', '**/.turbo/**', '.cache/**', '**/native/**', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,js,mjs}'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['packages/*/tsconfig.json', 'apps/*/tsconfig.json', 'tools/*/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Module cycles make load order matter and hide layering mistakes (issue 16: commands <-> monitor).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      // A variable assigned after a closure that reads it is declared with let before the closure.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-undef': 'off', // TypeScript checks names; ESLint does not know the tsconfig's globals.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Platform-neutral cores: every package's src except its src/node/ subpath.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/*/src/node/**'],
    rules: { 'no-restricted-imports': ['error', NODE_ONLY] },
  },
);
