// `npm start`: install if needed → infrastructure up → build → every app in its own process,
// logs prefixed with the app's name. Ctrl-C (or SIGTERM) stops them all; infrastructure keeps
// running for the next start (`npm run infra:down` stops it).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NX_ENV, ensureInstalled, run } from './ensure-installed.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

ensureInstalled(root);
if (run(root, 'node', ['infra/up.mjs']) !== 0) process.exit(1);

// The deployables: projects tagged type:app (apps/ also holds test-only projects, e.g. saga-e2e).
const isDeployable = (name) => {
  const project = join(root, 'apps', name, 'project.json');
  return existsSync(project) && (JSON.parse(readFileSync(project, 'utf8')).tags ?? []).includes('type:app');
};
const apps = existsSync(join(root, 'apps')) ? readdirSync(join(root, 'apps')).filter(isDeployable) : [];
if (apps.length === 0) {
  console.log('[start] infrastructure is up; there are no apps under apps/ yet.');
  process.exit(0);
}
if (run(root, 'npx', ['nx', 'run-many', '-t', 'build', '--projects', apps.join(','), '--outputStyle=static'], NX_ENV) !== 0) process.exit(1);

const children = new Map();
let stopping = false;
const width = Math.max(...apps.map((a) => a.length));

for (const app of apps) {
  const main = join(root, 'dist', 'apps', app, 'main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', main], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  children.set(app, child);
  const prefix = `${app.padEnd(width)} │ `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(app);
    console.log(`${prefix}exited (${signal ?? code})`);
    if (!stopping) stopAll(1); // one app down means the stack is broken: say so and stop the rest
  });
}

function stopAll(code) {
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(code);
    }
  }, 100);
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, 10_000).unref();
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
