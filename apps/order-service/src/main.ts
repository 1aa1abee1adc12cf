import './tracing';
import 'reflect-metadata';
import { bootstrapService } from '@causeway/service-runtime';
import { AppModule } from './app.module';
import { orderService } from './order-service.definition';

bootstrapService(AppModule.register(), orderService).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
