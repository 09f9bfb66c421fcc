// A tiny HTTP server for the quick start: answers on $PORT and logs every request.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const instance = process.env.TEND_INSTANCE ?? '0';

const server = createServer((request, response) => {
  console.log(`${request.method} ${request.url}`);
  response.end(`hello from instance ${instance} (pid ${process.pid})\n`);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port}/`);
});

process.on('SIGTERM', () => {
  console.log('SIGTERM: closing');
  server.close(() => process.exit(0));
});
