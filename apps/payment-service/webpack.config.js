// The shared app build: ../../webpack.app.cjs
module.exports = require('../../webpack.app.cjs')(__dirname);
