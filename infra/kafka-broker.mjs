// Prepares a throw-away single-node Kafka broker for a test that must stop and restart Kafka
// without disturbing the shared local broker, and prints the command that runs it as JSON:
//   node infra/kafka-broker.mjs --port 19092 --controller-port 19093 --dir /tmp/broker
//     [--sasl-port 19094 --sasl-username U --sasl-password P]   (a SASL/PLAIN listener as well)
// The test spawns (and SIGKILLs) the java process itself, so a "crash" is a real one.
import { parseArgs } from 'node:util';
import { prepareBroker } from './kafka.mjs';
import { InfraError } from './lib/process.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'controller-port': { type: 'string' },
    dir: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'sasl-port': { type: 'string' },
    'sasl-username': { type: 'string' },
    'sasl-password': { type: 'string' },
  },
});
if (!values.port || !values['controller-port'] || !values.dir) {
  console.error('usage: node infra/kafka-broker.mjs --port P --controller-port C --dir DIR');
  process.exit(2);
}
try {
  const sasl = values['sasl-port'] ? { port: Number(values['sasl-port']), username: values['sasl-username'] ?? '', password: values['sasl-password'] ?? '' } : undefined;
  const args = prepareBroker({ host: values.host, port: Number(values.port), controllerPort: Number(values['controller-port']), dir: values.dir, sasl });
  process.stdout.write(`${JSON.stringify({ command: 'java', args })}\n`);
} catch (error) {
  console.error(error instanceof InfraError ? error.message : error);
  process.exit(1);
}
