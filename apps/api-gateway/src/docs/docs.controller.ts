import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { OpenApiAggregator } from './openapi-aggregator';

@ApiExcludeController()
@Controller('api/docs')
export class DocsController {
  constructor(private readonly aggregator: OpenApiAggregator) {}

  /** OpenAPI 3 document of the whole public API. */
  @Get()
  docs(): Promise<object> {
    return this.aggregator.document();
  }
}
