// The dashboard (web/, built into web/dist by `npm run build`): its pages at their own URLs, all
// answered with the one index.html whose script routes them; its hashed assets, cached for good;
// the API reference at /docs (Swagger UI, served from the package). Every page carries a strict
// Content-Security-Policy: scripts and styles from this origin only, no inline script, and
// calls to this origin alone, so that text from feeds can never become code.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from './errors.js';
import { linkBase } from './links.js';
import { ArticleId } from './routes/articles.js';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
export const WEB_DIST = path.join(WEB, 'dist');
// Swagger UI's stylesheet and script additions (colour contrast, labels), served under /docs.
const DOCS_THEME = path.join(WEB, 'docs');

/** The dashboard's client-side routes: each answers index.html. */
export const PAGES = ['/', '/search', '/iocs', '/articles', '/feeds', '/keys'];

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HASHED = /-[A-Z0-9]{8}\.(js|css)(\.gz|\.br)?$/;

export const dashboardRoutes: FastifyPluginAsync<{ config: Config }> = async (fastify, { config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const indexFile = path.join(WEB_DIST, 'index.html');
  const index = fs.existsSync(indexFile) ? fs.readFileSync(indexFile) : undefined;

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    done();
  });

  const sendPage = (reply: FastifyReply) => {
    if (!index) throw new AppError(503, 'dashboard_not_built', 'The dashboard is not built: run `npm run build`. The API is served at /api/v1.');
    return reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(index);
  };
  for (const page of PAGES) app.get(page, { schema: { hide: true } }, (_request, reply) => sendPage(reply));

  // An article's page, where a record's source.article_url leads (spec README, decision 11): the
  // dashboard's page for a browser, a 303 to the article in the API for any other client.
  const wantsPage = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');
  app.get('/item/:id', { schema: { hide: true, params: ArticleId } }, (request, reply) =>
    wantsPage(request)
      ? sendPage(reply)
      : reply.redirect(`${linkBase(request, config.publicUrl, config.trustProxy)}/api/v1/articles/${request.params.id.toLowerCase()}`, 303),
  );

  if (fs.existsSync(path.join(WEB_DIST, 'assets'))) {
    await app.register(fastifyStatic, {
      root: path.join(WEB_DIST, 'assets'),
      prefix: '/assets/',
      // The hashed bundle never changes under its name; the rest is checked each time.
      cacheControl: false,
      // The build wrote gzip and brotli copies beside each bundle.
      preCompressed: true,
      setHeaders: (reply, file) => reply.header('Cache-Control', HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
  }

  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: {
      title: 'SOC Defenders API reference',
      css: [{ filename: 'theme.css', content: fs.readFileSync(path.join(DOCS_THEME, 'theme.css'), 'utf8') }],
      js: [{ filename: 'theme.js', content: fs.readFileSync(path.join(DOCS_THEME, 'theme.js'), 'utf8') }],
    },
    uiConfig: {
      // Without the top bar: its "explore" box would load documents from elsewhere.
      layout: 'BaseLayout',
      deepLinking: true,
      tryItOutEnabled: true,
      displayRequestDuration: true,
      // "Try it" sends the key this tab signed in with (kept in sessionStorage by the dashboard),
      // in the X-API-Key header; a key typed into Authorize takes precedence. This function runs
      // in the browser: it is serialized into the page's script.
      requestInterceptor: (request: { [field: string]: { [name: string]: string } }) => {
        const tab = globalThis as unknown as { sessionStorage: { getItem(name: string): string | null } };
        const key = tab.sessionStorage.getItem('socd.apiKey');
        const headers = request.headers!;
        if (key && !headers['X-API-Key'] && !headers.Authorization) headers['X-API-Key'] = key;
        return request;
      },
    },
  });
};
