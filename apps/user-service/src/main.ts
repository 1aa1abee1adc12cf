import './tracing';
import 'reflect-metadata';
import { bootstrapService } from '@causeway/service-runtime';
import { AppModule } from './app.module';
import { userService } from './user-service.definition';

bootstrapService(AppModule.register(), userService).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
