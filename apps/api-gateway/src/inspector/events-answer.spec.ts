import { readEventsAnswer } from './browser/events-answer.js';

describe('what an answer of GET /api/events means to the page (readEventsAnswer)', () => {
  it('lists the events, the services that did not answer and those that had more matches', () => {
    const body = { items: [{ eventId: 'e1' }], unavailable: ['payment-service'], truncated: ['order-service'] };
    expect(readEventsAnswer(200, JSON.stringify(body))).toEqual({ kind: 'events', items: [{ eventId: 'e1' }], unavailable: ['payment-service'], truncated: ['order-service'] });
    expect(readEventsAnswer(200, '{"items":[]}')).toEqual({ kind: 'events', items: [], unavailable: [], truncated: [] });
  });

  it('asks for the token again on 401', () => {
    expect(readEventsAnswer(401, '{"statusCode":401,"error":"Unauthorized","message":"GET /api/events is for administrators"}')).toEqual({ kind: 'token-refused' });
  });

  it('shows the message of a 400 as the API wrote it', () => {
    const refused = { statusCode: 400, error: 'Bad Request', message: 'aggregateId must be a UUID', details: [{ field: 'aggregateId', errors: ['must be a UUID'] }] };
    expect(readEventsAnswer(400, JSON.stringify(refused))).toEqual({ kind: 'failed', message: 'aggregateId must be a UUID' });
    expect(readEventsAnswer(400, '')).toEqual({ kind: 'failed', message: 'The search was refused (400).' });
  });

  it('shows any other failure with its status, and a body that is not JSON as text', () => {
    expect(readEventsAnswer(503, '{"statusCode":503,"error":"Service Unavailable","message":"user-service is unavailable"}')).toEqual({ kind: 'failed', message: '503 Service Unavailable: user-service is unavailable' });
    expect(readEventsAnswer(502, '<html>bad gateway</html>')).toEqual({ kind: 'failed', message: '502: <html>bad gateway</html>' });
    expect(readEventsAnswer(200, 'not json')).toEqual({ kind: 'failed', message: '200: not json' });
  });
});
