// `npm run infra:up`: PostgreSQL, Redis and Kafka answering, databases and topics created.
import { pathToFileURL } from 'node:url';
import { kafkaUp } from './kafka.mjs';
import { postgresUp } from './postgres.mjs';
import { redisUp } from './redis.mjs';
import { InfraError } from './lib/process.mjs';

export async function infraUp() {
  await postgresUp();
  await redisUp();
  await kafkaUp();
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  infraUp().then(
    () => process.exit(0),
    (error) => {
      console.error(error instanceof InfraError ? `\n✖ ${error.message}\n` : error);
      process.exit(1);
    },
  );
}
