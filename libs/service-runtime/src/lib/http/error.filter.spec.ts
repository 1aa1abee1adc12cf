import { AggregateNotFoundError, ConcurrencyConflictError, DomainRuleViolation } from '@causeway/eventsourcing';
import { BadRequestException, type ArgumentsHost } from '@nestjs/common';
import { lastValueFrom, type Observable } from 'rxjs';
import { ErrorFilter, toErrorBody } from './error.filter';

describe('toErrorBody', () => {
  it.each([
    [new ConcurrencyConflictError('a', 1, 2), { statusCode: 409, error: 'Conflict', details: { expectedVersion: 1, actualVersion: 2 } }],
    [new DomainRuleViolation('order_not_confirmed', 'not confirmed'), { statusCode: 422, error: 'Unprocessable Entity', message: 'not confirmed', details: { code: 'order_not_confirmed' } }],
    [new AggregateNotFoundError('Order', 'x'), { statusCode: 404, error: 'Not Found', message: 'Order x not found' }],
    [new BadRequestException({ message: 'Validation failed: email', details: [{ field: 'email', errors: ['bad'] }] }), { statusCode: 400, message: 'Validation failed: email', details: [{ field: 'email', errors: ['bad'] }] }],
    [Object.assign(new Error('Request body is too large'), { statusCode: 413 }), { statusCode: 413, error: 'Payload Too Large' }],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), { statusCode: 503, error: 'Service Unavailable', message: 'database unavailable, try again shortly' }],
    [new Error('timeout exceeded when trying to connect'), { statusCode: 503 }],
    [new Error('secret internals'), { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' }],
  ])('maps %p', (error, expected) => {
    expect(toErrorBody(error)).toMatchObject(expected);
  });
});

describe('ErrorFilter', () => {
  it('hands errors of Kafka handlers back unchanged, for the consumer to retry or dead-letter', async () => {
    const error = new Error('handler failed');
    const host = { getType: () => 'rpc' } as unknown as ArgumentsHost;
    const result = new ErrorFilter().catch(error, host) as Observable<never>;
    await expect(lastValueFrom(result)).rejects.toBe(error);
  });

  it('answers HTTP errors with the JSON body and status', () => {
    const sent: { status?: number; body?: unknown } = {};
    const reply = { status: (s: number) => ((sent.status = s), reply), send: (b: unknown) => (sent.body = b) };
    const host = { getType: () => 'http', switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
    new ErrorFilter().catch(new DomainRuleViolation('x', 'no'), host);
    expect(sent).toEqual({ status: 422, body: { statusCode: 422, error: 'Unprocessable Entity', message: 'no', details: { code: 'x' } } });
  });
});
