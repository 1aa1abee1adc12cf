import { ServiceRuntimeModule, type ServiceRuntimeOptions } from '@causeway/service-runtime';
import { Module, type DynamicModule } from '@nestjs/common';
import { CustomersModule } from './customers/customers.module';
import { orderService } from './order-service.definition';
import { OrdersModule } from './orders/orders.module';
import { OrdersProjection } from './orders/projections/orders.projection';

@Module({})
export class AppModule {
  /** Tests pass their own schema (and settings) so they never touch the service's real data. */
  static register(options: Omit<ServiceRuntimeOptions, 'projections'> & { schema?: string } = {}): DynamicModule {
    const { schema, ...runtime } = options;
    return {
      module: AppModule,
      imports: [ServiceRuntimeModule.register({ ...orderService, ...(schema ? { schema } : {}) }, { ...runtime, projections: [OrdersProjection] }), CustomersModule, OrdersModule],
    };
  }
}
