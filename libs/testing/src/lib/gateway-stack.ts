import { freePort } from './scratch-kafka-broker';
import { startServiceProcess, type ServiceProcess } from './service-process';
import { adminQuery } from './test-database';
import { testSettings } from './test-settings';
import { uniqueName } from './unique-name';

/** user-service with the gateway in front of it, as processes, in a database of their own. */
export interface GatewayStack {
  databaseUrl: string;
  /** What points a process at this stack's database and consumer groups (the CLI, a second service). */
  env: Record<string, string>;
  userService: ServiceProcess;
  gateway: ServiceProcess;
  /** Stops both (if still running) and drops the database. */
  stop(): Promise<void>;
}

/**
 * Creates a database named after `name` (made unique), starts user-service on it and the gateway
 * in front of it (with `gatewayEnv` besides), each on a free port. The other services are not
 * started: the gateway answers for them as for services that are down.
 */
export async function startUserServiceBehindGateway(name: string, gatewayEnv: Record<string, string> = {}): Promise<GatewayStack> {
  const database = uniqueName(name);
  const databaseUrl = Object.assign(new URL(testSettings().event_store.database_url), { pathname: `/${database}` }).toString();
  const env = { DATABASE_URL: databaseUrl, KAFKA_GROUP_PREFIX: `${database}_`, LOG_LEVEL: 'warn' };
  await adminQuery(`CREATE DATABASE ${database}`);
  const started: ServiceProcess[] = [];
  const stop = async () => {
    for (const app of started.reverse()) await app.stop();
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  };
  try {
    const userPort = await freePort();
    const userService = await startServiceProcess('user-service', userPort, { ...env, CAUSEWAY__HTTP__USER_SERVICE_PORT: String(userPort) });
    started.push(userService);
    const gatewayPort = await freePort();
    const gateway = await startServiceProcess('api-gateway', gatewayPort, { ...env, PORT: String(gatewayPort), USER_SERVICE_URL: userService.url, ...gatewayEnv });
    started.push(gateway);
    return { databaseUrl, env, userService, gateway, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
