import { Query } from '@nestjs/cqrs';

export interface UserStats {
  byStatus: Record<string, number>;
  signupsPerDay: Array<{ day: string; count: number }>;
}

export class GetUserStats extends Query<UserStats> {}
