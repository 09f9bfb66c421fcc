import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { NotFoundError } from '../../errors.js';

/** Where `npm run build` puts the dashboard: dist/dashboard/ (index.html and assets/). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The page may load only its own script and style and talk only to its own origin; no page may
 * frame it (clickjacking); nothing inline runs.
 */
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * `GET /` and `GET /assets/:file`: the dashboard's static files, served without a token (they
 * hold no data; every API call the page makes carries the token). Only files that the build
 * wrote are served, looked up by exact name, so no path from a request reaches the file system.
 */
export function registerDashboardRoutes(app: FastifyInstance, dir: string = DASHBOARD_DIR): void {
  const assets = new Set(listFiles(join(dir, 'assets')));
  const isPublic = { config: { isPublic: true } };

  app.get('/', isPublic, async (_request, reply) => sendFile(reply, join(dir, 'index.html')));

  app.get('/assets/:file', isPublic, async (request, reply) => {
    const { file } = request.params as { file: string };
    if (!assets.has(file) || CONTENT_TYPES[extname(file)] === undefined) {
      throw new NotFoundError('TEND_ERR_API_ROUTE_NOT_FOUND', `No dashboard file ${file}`);
    }
    return sendFile(reply, join(dir, 'assets', file));
  });
}

/** Whether a route was registered as public (the dashboard's files). */
export function isPublicRoute(config: unknown): boolean {
  return (config as { isPublic?: unknown } | undefined)?.isPublic === true;
}

function sendFile(reply: FastifyReply, path: string): FastifyReply {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch {
    throw new NotFoundError(
      'TEND_ERR_API_ROUTE_NOT_FOUND',
      'The dashboard is not built into this copy of tend: run `npm run build`',
    );
  }
  const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  if (type.startsWith('text/html')) reply.header('content-security-policy', PAGE_POLICY);
  return reply.type(type).header('cache-control', 'no-cache').send(content);
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
