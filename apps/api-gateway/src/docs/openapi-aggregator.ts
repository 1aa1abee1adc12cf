import type { Settings } from '@causeway/config';
import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_SETTINGS } from '../gateway.tokens';
import { serviceRoutes } from '../proxy/routes';

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, unknown>;
  components: { schemas: Record<string, unknown> };
  tags?: Array<{ name: string }>;
}

/**
 * The public API document: each service's OpenAPI (generated from its DTOs) with paths moved
 * under /api. Services own their contract; the gateway only publishes it in one place.
 */
@Injectable()
export class OpenApiAggregator {
  private cached: { at: number; document: OpenApiDocument } | undefined;

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: Settings) {}

  async document(): Promise<OpenApiDocument> {
    if (this.cached && Date.now() - this.cached.at < 30_000) return this.cached.document;
    const merged: OpenApiDocument = {
      openapi: '3.0.0',
      info: { title: 'Causeway API', version: '1', description: 'Every path is served by the API gateway under /api.' },
      paths: {},
      components: { schemas: {} },
    };
    const missing: string[] = [];
    for (const [prefix, route] of Object.entries(serviceRoutes(this.settings))) {
      try {
        const response = await fetch(`${route.url}/openapi.json`, { signal: AbortSignal.timeout(this.settings.http.request_timeout) });
        if (!response.ok) throw new Error(String(response.status));
        const doc = (await response.json()) as Partial<OpenApiDocument>;
        for (const [path, item] of Object.entries(doc.paths ?? {})) if (path.startsWith(`/${prefix}`)) merged.paths[`/api${path}`] = item;
        Object.assign(merged.components.schemas, doc.components?.schemas ?? {});
      } catch {
        missing.push(route.service);
      }
    }
    if (missing.length) merged.info.description += ` Unavailable while this document was built: ${missing.join(', ')}.`;
    else this.cached = { at: Date.now(), document: merged };
    return merged;
  }
}
