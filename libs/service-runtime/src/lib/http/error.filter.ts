import { AggregateNotFoundError, ConcurrencyConflictError, DomainRuleViolation, isDatabaseUnavailable } from '@causeway/eventsourcing';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { throwError, type Observable } from 'rxjs';
import { errorBody, type ErrorBody } from './error-body';

const DATABASE_RETRY_AFTER_S = 1;

/** Domain errors → status codes (STYLE: the edge maps, the domain stays HTTP-free). */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof ConcurrencyConflictError) {
    return errorBody(409, error.message, { expectedVersion: error.expectedVersion, actualVersion: error.actualVersion });
  }
  if (error instanceof DomainRuleViolation) return errorBody(422, error.message, { code: error.code });
  if (error instanceof AggregateNotFoundError) return errorBody(404, error.message);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'string') return errorBody(status, response);
    const { message, details } = response as { message?: unknown; details?: unknown };
    const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : error.message;
    return errorBody(status, text, details);
  }
  // The request was fine; the database could not serve it now. Say so, and when to try again.
  if (isDatabaseUnavailable(error)) return errorBody(503, 'database unavailable, try again shortly');
  // Fastify's own errors (malformed JSON, body too large, wrong content type) carry their status.
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return errorBody(status, (error as Error).message);
  return errorBody(500, 'Internal server error');
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void | Observable<never> {
    // Apps connect their Kafka transport with inheritAppConfig, so this filter also sees errors
    // of @EventPattern handlers: hand those back untouched, for the consumer to retry or dead-letter.
    if (host.getType() !== 'http') return throwError(() => error);
    const body = toErrorBody(error);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // Our own 5xx answers (503 not ready or database down, 504) are expected states, reported by
    // their status; an unexpected error is a bug and gets its stack.
    if (isDatabaseUnavailable(error)) {
      this.logger.warn(`503 ${body.message}: ${(error as Error).message}`);
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
    } else if (error instanceof HttpException && body.statusCode >= 500) this.logger.warn(`${body.statusCode} ${body.message}`);
    else if (body.statusCode >= 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    reply.status(body.statusCode).send(body);
  }
}
