import './tracing';
import 'reflect-metadata';
import { bootstrapService } from '@causeway/service-runtime';
import { AppModule } from './app.module';
import { paymentService } from './payment-service.definition';

bootstrapService(AppModule.register(), paymentService).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
