module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'eventsourcing',
  rootDir: __dirname,
};
