import { ServiceRuntimeModule, type ServiceRuntimeOptions } from '@causeway/service-runtime';
import { Module, type DynamicModule } from '@nestjs/common';
import { notificationService } from './notification-service.definition';
import { NotificationsModule } from './notifications/notifications.module';
import { NotificationsProjection } from './notifications/projections/notifications.projection';

@Module({})
export class AppModule {
  /** Tests pass their own schema (and settings) so they never touch the service's real data. */
  static register(options: Omit<ServiceRuntimeOptions, 'projections'> & { schema?: string } = {}): DynamicModule {
    const { schema, ...runtime } = options;
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.register({ ...notificationService, ...(schema ? { schema } : {}) }, { ...runtime, projections: [NotificationsProjection] }),
        NotificationsModule,
      ],
    };
  }
}
