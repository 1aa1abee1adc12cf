import { workspaceRoot } from '@causeway/testing';
import { join } from 'node:path';

const { failureRecap } = require(join(workspaceRoot(), 'scripts/failure-recap.cjs')) as { failureRecap: (log: string) => string };

/** The shape of `nx run-many --outputStyle=static` output, colours included, as CI records it. */
const log = [
  '\x1b[2m> \x1b[22m\x1b[2mnx run\x1b[22m eventsourcing:test',
  '',
  '\x1b[2m> \x1b[22mjest',
  ' PASS  eventsourcing src/lib/aggregate.spec.ts',
  ' FAIL  eventsourcing src/lib/postgres/projection-runner.int.spec.ts',
  '  ● Console',
  '',
  '    console.log noise',
  '  ● ProjectionRunner › projects new events',
  '',
  '    timed out waiting for the projection to catch up',
  '',
  'Tests:       1 failed, 39 passed, 40 total',
  '\x1b[2m> \x1b[22m\x1b[2mnx run\x1b[22m user-service:lint',
  'apps/user-service/src/x.ts  3:1  error  Unexpected var',
  '\x1b[2m> \x1b[22m\x1b[2mnx run\x1b[22m saga-e2e:test',
  ' PASS  saga-e2e test/saga.e2e.spec.ts',
  'Tests:       10 passed, 10 total',
  '',
  '\x1b[7m\x1b[1m\x1b[31m NX \x1b[39m\x1b[22m\x1b[27m  \x1b[31mRunning targets lint, test for 3 projects failed\x1b[39m',
  '',
  'Failed tasks:',
  '',
  '- eventsourcing:test',
  '- user-service:lint',
  '',
  '  Run duration:      2m 27s',
].join('\n');

describe('failureRecap (what `npm test` prints again at the end of a failed run)', () => {
  const recap = failureRecap(log);

  it('repeats each failed task’s Jest failure reports, not its console output or the tests that passed', () => {
    expect(recap).toContain('──── eventsourcing:test failed ────\n  ● ProjectionRunner › projects new events');
    expect(recap).toContain('timed out waiting for the projection to catch up');
    expect(recap).not.toContain('console.log noise');
    expect(recap).not.toContain('aggregate.spec.ts');
  });

  it('repeats the last lines of a failed task without Jest reports (lint, typecheck), and nothing of tasks that passed', () => {
    expect(recap).toContain('──── user-service:lint failed ────\napps/user-service/src/x.ts  3:1  error  Unexpected var');
    expect(recap).not.toContain('saga-e2e');
    expect(recap).not.toContain('\x1b[');
  });

  it('adds nothing when no task failed', () => {
    expect(failureRecap(log.replace(/Failed tasks:[\s\S]*/, ''))).toBe('');
  });
});
