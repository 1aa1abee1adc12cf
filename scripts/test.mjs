// `npm test`: install if needed → infrastructure up → lint and every test tier → non-zero on any failure.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NX_ENV, ensureInstalled, run } from './ensure-installed.mjs';
import { failureRecap } from './failure-recap.cjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();

ensureInstalled(root);
if (run(root, 'node', ['infra/up.mjs']) !== 0) process.exit(1);

// Extra arguments go to Nx, e.g. `npm test -- --projects=config`.
const extra = process.argv.slice(2);
const nx = spawn('npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', 'test', '--outputStyle=static', ...extra], {
  cwd: root,
  stdio: ['inherit', 'pipe', 'pipe'],
  env: { ...process.env, ...NX_ENV },
});
// Passed through as it comes, and kept: a CI log is often cut to its tail, so a failure is
// repeated at the end, where it cannot be cut away by the passing tasks printed after it.
const output = [];
for (const [from, to] of [[nx.stdout, process.stdout], [nx.stderr, process.stderr]]) {
  from.on('data', (chunk) => (output.push(chunk), to.write(chunk)));
}
const status = await new Promise((resolve) => nx.on('close', (code) => resolve(code ?? 1)));
if (status !== 0) console.log(failureRecap(Buffer.concat(output).toString('utf8')));
console.log(`\n[test] ${status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
process.exit(status);
