import type { Settings } from '@causeway/config';
import { createHttpApp } from '@causeway/service-runtime';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../src/app.module';

/** user-service in the test's process on `settings`, in a schema of the test's own, migrated and ready for inject(). */
export async function startUserService(schema: string, settings: Settings): Promise<NestFastifyApplication> {
  const app = await createHttpApp(AppModule.register({ schema, settings }), settings);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
