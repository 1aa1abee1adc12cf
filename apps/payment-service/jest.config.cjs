module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'payment-service',
  rootDir: __dirname,
};
