// The lint gate (`npm run lint`, part of `npm test`): typescript-eslint's strict and type-aware
// rules over everything we write. A rule turned off or loosened below says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export const config = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'screenshots/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Template literals in messages carry numbers and booleans all the time; the rule's defaults
      // would force String(n) everywhere for no safety gain. Objects and unknowns stay forbidden.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: false },
      ],
      // Unused names are errors, except the `_rest` idiom used to drop a field from an object.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `void promise` is how a deliberate fire-and-forget is written (the notification worker,
      // timers); every other promise must be awaited or returned.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: true,
          // node:test's test() and describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // `(x) => doSomething(x)` as a callback is the common idiom whether or not doSomething returns
      // a value; a void used as a value anywhere else (a condition, a return, an argument) is still caught.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    // Tests read the server's and the CLI's JSON answers and assert on their shape at run time;
    // typing each answer first would assert by cast exactly what the test is there to check.
    // A non-null assertion in a test that is wrong fails the test at once, which is its job.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The benchmarks, like the tests, are programs we run by hand, not code we ship. Their non-null
    // assertions are on samples, table rows and arguments they have just made or required; a wrong
    // one crashes the run or shows as NaN in its report, in front of whoever runs it.
    files: ['bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Plain JavaScript entry points (bin/, scripts/, this file): in no tsconfig project, so only
    // the rules that need no types.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
);

// ESLint finds its configuration only as the default export; the one default export in the tree.
export default config;
