import './tracing';
import 'reflect-metadata';
import { loadSettings } from '@causeway/config';
import { createHttpApp } from '@causeway/service-runtime';
import { Logger } from '@nestjs/common';
import { AppModule } from './app.module';

async function main(): Promise<void> {
  const settings = loadSettings();
  const app = await createHttpApp(AppModule.register(settings), settings, { name: 'api-gateway' });
  app.enableShutdownHooks();
  await app.listen(settings.http.gateway_port, settings.http.host);
  new Logger('api-gateway').log(`listening on http://${settings.http.host}:${settings.http.gateway_port}/api (OpenAPI: /api/docs)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
