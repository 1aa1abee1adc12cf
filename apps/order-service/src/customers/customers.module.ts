import { Module } from '@nestjs/common';
import { CustomerDirectory } from './customer-directory';
import { UserEventsConsumer } from './user-events.consumer';

@Module({
  controllers: [UserEventsConsumer],
  providers: [CustomerDirectory],
  exports: [CustomerDirectory],
})
export class CustomersModule {}
