import { loadSettings, type Settings } from '@causeway/config';
import { Module, type DynamicModule } from '@nestjs/common';
import { DocsController } from './docs/docs.controller';
import { AdminGuard } from './admin/admin.guard';
import { ProjectionsController } from './admin/projections.controller';
import { EventsController } from './events/events.controller';
import { OpenApiAggregator } from './docs/openapi-aggregator';
import { GATEWAY_SETTINGS } from './gateway.tokens';
import { HealthController } from './health/health.controller';
import { InspectorController } from './inspector/inspector.controller';
import { ProxyRoutes } from './proxy/proxy.routes';
import { ServiceProxy } from './proxy/service-proxy';

@Module({})
export class AppModule {
  static register(settings: Settings = loadSettings()): DynamicModule {
    return {
      module: AppModule,
      controllers: [EventsController, ProjectionsController, DocsController, HealthController, InspectorController],
      providers: [{ provide: GATEWAY_SETTINGS, useValue: settings }, ServiceProxy, ProxyRoutes, OpenApiAggregator, AdminGuard],
    };
  }
}
