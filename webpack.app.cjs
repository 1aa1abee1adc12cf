const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { basename, join } = require('node:path');

/**
 * The build of every app (apps/<name>/webpack.config.js): one bundle in dist/apps/<name> with
 * the workspace libs inlined; npm packages stay external (node_modules), so their require hooks
 * (OpenTelemetry instrumentation) still see them load.
 */
module.exports = function appWebpackConfig(appDir) {
  return {
    output: { path: join(__dirname, 'dist/apps', basename(appDir)), clean: true },
    devtool: 'source-map',
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: false,
        sourceMap: true,
        skipTypeChecking: true,
      }),
    ],
  };
};
