// Imported first by main.ts: OpenTelemetry must patch http, pg and ioredis before they load.
import { loadSettings } from '@causeway/config';
import { startTracing } from '@causeway/observability';

startTracing('api-gateway', loadSettings().tracing);
