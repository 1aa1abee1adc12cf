import { createHttpApp } from '@causeway/service-runtime';
import { testSettings, workspaceRoot } from '@causeway/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { AppModule } from '../app.module';
import { SEARCH_KINDS } from './browser/deep-link.js';
import { BROWSER_DIR, INSPECTOR_ASSETS } from './inspector.controller';

/**
 * The gateway's own app module, as main.ts builds it, answering in process (Fastify's inject):
 * serving the page needs no service, database or broker.
 */
describe('GET /inspector (the event-inspection page)', () => {
  let app: NestFastifyApplication;
  const get = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  beforeAll(async () => {
    const settings = testSettings();
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    app = await createHttpApp(AppModule.register(settings), settings, { name: 'api-gateway', logDestination: quiet });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app?.close());

  const expectSecurityHeaders = (headers: Record<string, unknown>) => {
    const policy = String(headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toMatch(/unsafe-|\*|data:|https?:/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
  };

  it('serves the page as HTML with a strict Content-Security-Policy, nosniff and no referrer', async () => {
    const response = await get('/inspector');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(response.headers);
  });

  it('has no inline script, style or event handler: what the policy would block', async () => {
    const page = (await get('/inspector')).body;
    const scripts = page.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts).toEqual(['<script type="module" src="/inspector/inspector.js">']);
    expect(page).toMatch(/<link rel="stylesheet" href="\/inspector\/inspector.css">/);
    expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
  });

  it('serves the script, every module it imports and the stylesheet, with their content types and the same headers', async () => {
    const page = (await get('/inspector')).body;
    const linked = [...page.matchAll(/(?:src|href)="\/inspector\/([^"]+)"/g)].map((m) => m[1]);
    const seen = new Set<string>();
    const queue = [...linked];
    while (queue.length) {
      const name = queue.shift() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const response = await get(`/inspector/${name}`);
      expect({ name, status: response.statusCode }).toEqual({ name, status: 200 });
      expect(response.headers['content-type']).toBe(name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expectSecurityHeaders(response.headers);
      // A module's imports are fetched from /inspector/ too: each must be served.
      queue.push(...[...response.body.matchAll(/^import\b[^;]*?from '\.\/([^']+)';$/gm)].map((m) => m[1]));
    }
    expect([...seen].sort()).toEqual([...INSPECTOR_ASSETS].sort());
  });

  it('has every element the script looks up, and a search option for each filter of GET /api/events', async () => {
    const page = (await get('/inspector')).body;
    const script = (await get('/inspector/inspector.js')).body;
    const ids = new Set([...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const wanted = [...script.matchAll(/byId\('([^']+)'/g)].map((m) => m[1]);
    expect(wanted.length).toBeGreaterThan(10);
    expect(wanted.filter((id) => !ids.has(id))).toEqual([]);
    const options = [...page.matchAll(/<option value="([^"]+)">/g)].map((m) => m[1]);
    expect(options).toEqual([...SEARCH_KINDS]);
  });

  it('serves nothing else from the folder, and no path out of it', async () => {
    for (const url of ['/inspector/inspector.html', '/inspector/causation-tree.spec.ts', '/inspector/..%2Finspector.controller.ts', '/inspector/%2e%2e%2fapp.module.ts', '/inspector/nothing.js']) {
      const response = await get(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
    }
  });

  it('stays out of the OpenAPI document and out of /api', async () => {
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    expect(Object.keys(document.paths).filter((path) => path.includes('inspector'))).toEqual([]);
    expect((await get('/api/inspector')).statusCode).toBe(404);
  });

  it('has its files where the build puts them: copied beside main.js, as the controller looks for them', () => {
    // Built, the controller is inlined into <outputPath>/main.js, so its __dirname is the output path.
    const project = JSON.parse(readFileSync(join(__dirname, '..', '..', 'project.json'), 'utf8'));
    const build = project.targets.build.options;
    expect(build.assets).toEqual([{ input: relative(workspaceRoot(), BROWSER_DIR), glob: '*.{html,js,css}', output: basename(BROWSER_DIR) }]);
    expect(relative(__dirname, BROWSER_DIR)).toBe(build.assets[0].output);
    const served = ['inspector.html', ...INSPECTOR_ASSETS];
    const copied = readdirSync(BROWSER_DIR).filter((name) => ['.html', '.js', '.css'].includes(extname(name)));
    expect(served.filter((name) => !copied.includes(name))).toEqual([]);
  });
});
