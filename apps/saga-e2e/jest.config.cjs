module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'saga-e2e',
  rootDir: __dirname,
};
