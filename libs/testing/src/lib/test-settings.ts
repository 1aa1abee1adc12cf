import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSettings, type Settings } from '@causeway/config';

export function workspaceRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${from}`);
  }
}

/** The settings a service would load (config/causeway.tsk + environment), from any test's cwd. */
export function testSettings(env: Record<string, string | undefined> = process.env): Settings {
  return loadSettings({ file: env['CAUSEWAY_CONFIG'] ?? join(workspaceRoot(), 'config', 'causeway.tsk'), env });
}
