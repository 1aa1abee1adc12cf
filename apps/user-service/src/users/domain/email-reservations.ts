import { releaseSavepoint, savepoint } from '@causeway/eventsourcing';
import { ConflictException } from '@nestjs/common';
import type { PoolClient } from 'pg';

const UNIQUE_VIOLATION = '23505';

/**
 * Claims an email for a user inside the caller's transaction (the one that appends the event).
 * The primary key decides between two concurrent claims: no read-then-write race.
 */
export async function reserveEmail(tx: PoolClient, schema: string, email: string, userId: string): Promise<void> {
  try {
    await savepoint(tx, 'reserve_email');
    await tx.query(`INSERT INTO ${schema}.email_reservations (email, user_id) VALUES ($1, $2)`, [email, userId]);
    await releaseSavepoint(tx, 'reserve_email');
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT reserve_email');
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
      throw new ConflictException({ message: `email ${email} is already in use`, details: [{ field: 'email', errors: ['already in use'] }] });
    }
    throw error;
  }
}

export async function releaseEmail(tx: PoolClient, schema: string, email: string, userId: string): Promise<void> {
  await tx.query(`DELETE FROM ${schema}.email_reservations WHERE email = $1 AND user_id = $2`, [email, userId]);
}
