import { workspaceRoot } from '@causeway/testing';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The import rules of ARCHITECTURE §1 are checked by lint; this proves the check bites.
describe('module boundaries (lint)', () => {
  const root = workspaceRoot();

  /** Lints `code` as if it were `file`, through the ESLint CLI and the workspace's config (nothing is written). */
  async function boundaryErrors(file: string, code: string): Promise<string[]> {
    const run = spawnSync(join(root, 'node_modules', '.bin', 'eslint'), ['--format', 'json', '--stdin', '--stdin-filename', join(root, file)], {
      cwd: root,
      input: code,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('lets an app import libs', async () => {
    expect(await boundaryErrors('apps/user-service/src/probe.ts', `import { loadSettings } from '@causeway/config';\nexport const x = loadSettings;\n`)).toEqual([]);
  });

  it('forbids contracts from importing any other project', async () => {
    const errors = await boundaryErrors('libs/contracts/src/probe.ts', `import { loadSettings } from '@causeway/config';\nexport const x = loadSettings;\n`);
    expect(errors.join('\n')).toMatch(/type:contracts/);
  });

  it('forbids a service from importing another service', async () => {
    // Apps have no import alias, so the only way in is a relative path across projects: refused.
    const errors = await boundaryErrors('apps/payment-service/src/probe.ts', `import { User } from '../../user-service/src/users/domain/user.aggregate';\nexport const x = User;\n`);
    expect(errors.join('\n')).toMatch(/Projects cannot be imported by a relative or absolute path/);
  });
});
