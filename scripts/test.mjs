// `npm test`: install if needed → infrastructure up → lint and every test tier → non-zero on any failure.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NX_ENV, ensureInstalled, run } from './ensure-installed.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();

ensureInstalled(root);
if (run(root, 'node', ['infra/up.mjs']) !== 0) process.exit(1);

// Extra arguments go to Nx, e.g. `npm test -- --projects=config`.
const extra = process.argv.slice(2);
const status = run(root, 'npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', 'test', '--outputStyle=static', ...extra], NX_ENV);
console.log(`\n[test] ${status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
process.exit(status);
