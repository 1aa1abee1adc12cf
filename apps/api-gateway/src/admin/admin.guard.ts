import type { Settings } from '@causeway/config';
import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GATEWAY_SETTINGS } from '../gateway.tokens';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Admin only (ARCHITECTURE §7): `Authorization: Bearer <http.admin_token>`, anything else a 401.
 * Compared as fixed-length digests in constant time: the answer says nothing about how close a
 * guess was.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly adminToken: Buffer;

  constructor(@Inject(GATEWAY_SETTINGS) settings: Settings) {
    this.adminToken = digest(`Bearer ${settings.http.admin_token}`);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (timingSafeEqual(digest(request.headers.authorization ?? ''), this.adminToken)) return true;
    throw new UnauthorizedException(`${request.method} ${request.url.split('?')[0]} is for administrators: send Authorization: Bearer <admin token>`);
  }
}
