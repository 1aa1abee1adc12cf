import './tracing';
import 'reflect-metadata';
import { bootstrapService } from '@causeway/service-runtime';
import { AppModule } from './app.module';
import { notificationService } from './notification-service.definition';

bootstrapService(AppModule.register(), notificationService).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
