import { kafkaStatus } from './kafka.mjs';
import { postgresStatus } from './postgres.mjs';
import { redisStatus } from './redis.mjs';

console.log(`kafka:    ${kafkaStatus()}\npostgres: ${postgresStatus()}\nredis:    ${redisStatus()}`);
