// "Install if needed": install when node_modules is missing or older than package-lock.json.
// Uses nothing outside Node itself, because it runs before anything is installed.
//
// `npm install` rather than `npm ci`: the lock pins every version either way, but npm 11 leaves
// some platform-only optional packages (sass-embedded-*, pulled in by @nx/webpack) out of the
// lock, and `npm ci` then refuses the lock as out of sync while `npm install` installs from it.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function ensureInstalled(root) {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('[setup] installing npm packages (npm install, versions from package-lock.json)');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('\n✖ npm install failed. Check access to the npm registry (and Node 20+), then run again.');
    process.exit(result.status ?? 1);
  }
}

export function run(root, command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

/** Nx settings for scripted runs: no daemon, no cloud, no interactive terminal UI. */
export const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
