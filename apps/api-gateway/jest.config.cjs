const preset = require('../../jest.preset.cjs');
const [, swc] = preset.transform['^.+\\.ts$'];

module.exports = {
  ...preset,
  displayName: 'api-gateway',
  rootDir: __dirname,
  transform: {
    ...preset.transform,
    // The inspector's browser modules are ES modules, served as written; Jest runs them as CommonJS.
    '/src/inspector/browser/.+\\.js$': ['@swc/jest', { ...swc, jsc: { ...swc.jsc, parser: { syntax: 'ecmascript' } } }],
  },
};
