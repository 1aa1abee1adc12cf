// `npm run infra:down`: stops what infra/up.mjs started, and nothing else.
import { kafkaDown } from './kafka.mjs';
import { postgresDown } from './postgres.mjs';
import { redisDown } from './redis.mjs';

await kafkaDown();
await redisDown();
await postgresDown();
