import { BaseRpcContext } from '@nestjs/microservices';
import type { HandlerContext } from '../consumer/event-consumer';

/** What an @EventPattern handler gets with @Ctx(): where the event came from and the transaction to change state in. */
export class KafkaEventContext extends BaseRpcContext<[HandlerContext]> {
  get transaction(): HandlerContext['transaction'] {
    return this.args[0].transaction;
  }

  get topic(): string {
    return this.args[0].topic;
  }

  get partition(): number {
    return this.args[0].partition;
  }

  get offset(): string {
    return this.args[0].offset;
  }

  get attempt(): number {
    return this.args[0].attempt;
  }
}
