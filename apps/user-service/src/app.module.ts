import { ServiceRuntimeModule, type ServiceRuntimeOptions } from '@causeway/service-runtime';
import { Module, type DynamicModule } from '@nestjs/common';
import { userService } from './user-service.definition';
import { UsersProjection } from './users/projections/users.projection';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  /** Tests pass their own schema (and settings) so they never touch the service's real data. */
  static register(options: Omit<ServiceRuntimeOptions, 'projections'> & { schema?: string } = {}): DynamicModule {
    const { schema, ...runtime } = options;
    return {
      module: AppModule,
      imports: [ServiceRuntimeModule.register({ ...userService, ...(schema ? { schema } : {}) }, { ...runtime, projections: [UsersProjection] }), UsersModule],
    };
  }
}
