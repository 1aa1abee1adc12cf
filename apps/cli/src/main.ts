import { runCli } from './cli';

// Ctrl-C ends a tail cleanly (its consumer leaves the group); a second one ends the process.
const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()).once('SIGTERM', () => resolve()));

void runCli(process.argv.slice(2), {
  output: { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
  env: process.env,
  interrupted,
}).then((code) => process.exit(code));
