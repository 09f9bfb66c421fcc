// The process-manager lab's buggy web server: serves a small static site on $PORT and, on
// 5 % of requests (CHAOS_RATE), exits after reading the file and before answering.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const port = Number(process.env.PORT ?? process.argv[2] ?? 8080);
const chaosRate = Number(process.env.CHAOS_RATE ?? 0.05);
const root = fileURLToPath(new URL('./www/', import.meta.url));
const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.svg': 'image/svg+xml' };

const server = createServer(async (request, response) => {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const file = normalize(join(root, path === '/' ? 'index.html' : path));
  if (!file.startsWith(root)) {
    response.writeHead(403).end('forbidden\n');
    return;
  }
  let body;
  try {
    body = await readFile(file);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (Math.random() < chaosRate) {
    console.log(`Chaos Monkey strikes again! (${request.method} ${path})`);
    process.exit(255);
  }
  response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  response.end(body);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`HTTP webserver running on http://127.0.0.1:${port}/ (chaos rate ${chaosRate})`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
