import type { FastifyReply } from 'fastify';
import type { Gathered } from '../proxy/service-proxy';

/**
 * Answers an admin view merged from every service (ServiceProxy.gather): a service's refusal of
 * the request as it is; otherwise the items in `order`, with the services that did not answer
 * (`unavailable`) and those that had more than they sent (`truncated`) when there are any.
 */
export async function sendMerged<T>(reply: FastifyReply, gathered: Gathered<T>, order: (a: T, b: T) => number): Promise<void> {
  const { rejected, items, unavailable, truncated } = gathered;
  if (rejected) {
    await reply.status(rejected.status).headers(rejected.headers).send(rejected.body);
    return;
  }
  items.sort(order);
  await reply.status(200).send({ items, ...(unavailable.length ? { unavailable } : {}), ...(truncated.length ? { truncated } : {}) });
}
