import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/**
 * The gateway holds no state: live and ready while it answers. It does not turn unready when a
 * service is down — that would take every route offline for one service's outage (it answers 503
 * on that service's routes instead).
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  ready(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
