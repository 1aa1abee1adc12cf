// Shared Jest settings: TypeScript through SWC (with decorator metadata, which Nest's
// dependency injection needs), and the @causeway/* path aliases of tsconfig.base.json.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const { compilerOptions } = JSON.parse(readFileSync(join(__dirname, 'tsconfig.base.json'), 'utf8'));
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias.replace('*', '(.*)')}$`, join(__dirname, target.replace('*', '$1'))]),
);

// Tests log warnings and errors only, unless LOG_LEVEL says otherwise.
process.env.LOG_LEVEL ??= 'warn';

module.exports = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  // Unit (.spec.ts), integration (.int.spec.ts) and end-to-end (.e2e.spec.ts) tests all run.
  testMatch: ['**/?(*.)+(spec).ts'],
  testTimeout: 60_000,
};
