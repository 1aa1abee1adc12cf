import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the page's files are. They are plain browser JavaScript, HTML and CSS, served as they are
 * written: the same bytes from source (tests, @swc-node/register) and from the build, with no
 * compiler or bundler for the browser, no framework and nothing fetched from elsewhere. Their
 * types are still checked (tsconfig.inspector.json: checkJs against the DOM).
 *
 * From source this file is src/inspector/ and the files src/inspector/browser/; built, webpack
 * inlines this file into dist/apps/api-gateway/main.js (Nx's node target leaves __dirname
 * alone) and project.json's build assets copy the files to dist/apps/api-gateway/browser/. One
 * expression finds them in both.
 */
export const BROWSER_DIR = join(__dirname, 'browser');

const TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const;

/** What /inspector/<name> serves: the page's script modules and stylesheet, nothing else of the folder. */
export const INSPECTOR_ASSETS = ['inspector.js', 'causation-tree.js', 'deep-link.js', 'events-answer.js', 'inspector.css'] as const;

/**
 * Scripts and styles only from these files ('self', never inline), data only from /api; no
 * plugin, frame, form post or <base> can take the page (or the admin token it holds) elsewhere.
 */
export const INSPECTOR_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidated every time: a gateway upgraded under an open tab serves its new script at once.
  'cache-control': 'no-cache',
} as const;

interface ServedFile {
  type: string;
  body: Buffer;
}

function load(name: string): ServedFile {
  const extension = name.slice(name.lastIndexOf('.') + 1) as keyof typeof TYPES;
  try {
    return { type: TYPES[extension], body: readFileSync(join(BROWSER_DIR, name)) };
  } catch (error) {
    // At start, not at the first visit: a build that lost the page's files fails where it is run.
    throw new Error(`the event inspector's ${name} is not in ${BROWSER_DIR} (a build without the gateway's assets?): ${(error as Error).message}`);
  }
}

/**
 * GET /inspector: the event-inspection page (ARCHITECTURE §1) over GET /api/events. Outside /api,
 * which is the JSON API, and out of the OpenAPI document. The page is public; the events are not:
 * it asks for the admin token and sends it only to /api/events.
 */
@ApiExcludeController()
@Controller('inspector')
export class InspectorController {
  private readonly page = load('inspector.html');
  private readonly assets = new Map<string, ServedFile>(INSPECTOR_ASSETS.map((name) => [name, load(name)]));

  @Get()
  async index(@Res() reply: FastifyReply): Promise<void> {
    await this.send(reply, this.page);
  }

  @Get(':name')
  async asset(@Param('name') name: string, @Res() reply: FastifyReply): Promise<void> {
    const file = this.assets.get(name);
    if (!file) throw new NotFoundException(`no ${name} in the inspector`);
    await this.send(reply, file);
  }

  private async send(reply: FastifyReply, file: ServedFile): Promise<void> {
    await reply.status(200).headers(INSPECTOR_HEADERS).type(file.type).send(file.body);
  }
}
