import { DomainRuleViolation, type StoredEvent } from '@causeway/eventsourcing';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { isDeepStrictEqual } from 'node:util';
import { invalidFields } from './validation';

/** The request header (draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** On the answer to a request that repeated an earlier one with the same key (as Stripe names it). */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

const VALID = /^[\x21-\x7e]{1,255}$/;

/** The header's value; a 400 naming the header when it is malformed or sent twice. */
function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !VALID.test(value)) {
    throw invalidFields([{ field: IDEMPOTENCY_KEY_HEADER, errors: [`${IDEMPOTENCY_KEY_HEADER} must be one header of 1 to 255 visible ASCII characters`] }]);
  }
  return value;
}

/** The `Idempotency-Key` header of a POST, or undefined when absent. */
export const IdempotencyKey = createParamDecorator((_: unknown, context: ExecutionContext) =>
  parseIdempotencyKey(context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]),
);

/** The OpenAPI entry of `@IdempotencyKey()`, for the handler. */
export const ApiIdempotencyKey = (what: string): MethodDecorator =>
  ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description: `a key of the client's choosing: the same request sent again with it (a retry after a timeout) ${what} instead of doing it twice, `
      + `answered with ${IDEMPOTENT_REPLAYED_HEADER}: true; the key with a different request is a 422 (idempotency_key_reused)`,
  });

/**
 * Whether a request repeated under an Idempotency-Key is the one that created the aggregate the
 * key names: the first event of its stream (`earlier`) must carry what this request decided
 * (`decided`), apart from fields that depend on when it ran (`ignoring`). Otherwise the key was
 * used for another request: 422 idempotency_key_reused.
 */
export function assertRepeatOf(earlier: readonly StoredEvent[], decided: object, what: string, ignoring: readonly string[] = []): void {
  const without = (data: object) => Object.fromEntries(Object.entries(data).filter(([field]) => !ignoring.includes(field)));
  if (earlier.length === 0 || !isDeepStrictEqual(without(earlier[0].data), without(decided))) {
    throw new DomainRuleViolation('idempotency_key_reused', `this Idempotency-Key was used for a different ${what}: send a new key for a new ${what}`);
  }
}
