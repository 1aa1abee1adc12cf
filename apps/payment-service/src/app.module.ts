import { ServiceRuntimeModule, type ServiceRuntimeOptions } from '@causeway/service-runtime';
import { Module, type DynamicModule } from '@nestjs/common';
import { paymentService } from './payment-service.definition';
import { PaymentsModule } from './payments/payments.module';
import { PaymentsProjection } from './payments/projections/payments.projection';

@Module({})
export class AppModule {
  /** Tests pass their own schema (and settings) so they never touch the service's real data. */
  static register(options: Omit<ServiceRuntimeOptions, 'projections'> & { schema?: string } = {}): DynamicModule {
    const { schema, ...runtime } = options;
    return {
      module: AppModule,
      imports: [ServiceRuntimeModule.register({ ...paymentService, ...(schema ? { schema } : {}) }, { ...runtime, projections: [PaymentsProjection] }), PaymentsModule],
    };
  }
}
