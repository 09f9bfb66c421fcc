import { once } from 'node:events';
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { ConfigureMessageSchema } from '../../src/proxy/control-protocol.js';
import type { BalanceStrategy, ProxyMode, ProxySuspension } from '../../src/proxy/proxy-options.js';
import { ProxyService } from '../../src/proxy/proxy-service.js';

type After = Pick<TestContext, 'after'>;

/** A test upstream: an HTTP server on a port of its own, counting what it received. */
export interface TestUpstream {
  port: number;
  server: Server;
  /** Requests received, in order. */
  received: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer }[];
}

/** Starts an HTTP upstream on 127.0.0.1:0 whose handler sees the request with its body read. */
export async function startUpstream(
  t: After,
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void = (_req, res) => {
    res.end('ok');
  },
): Promise<TestUpstream> {
  const received: TestUpstream['received'] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handler(req, res, body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => closeServer(server));
  return { port: portOf(server), server, received };
}

/** Starts a TCP server that counts connections and, per connection, runs `onSocket` (default: destroy at the first byte). */
export async function startRawUpstream(
  t: After,
  onSocket: (socket: Socket) => void = (socket) => {
    socket.once('data', () => socket.destroy());
  },
): Promise<{ port: number; server: NetServer; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return closeServer(server);
  });
  return { port: portOf(server), server, connections: () => connections };
}

/** A port nothing listens on (bound, then released). */
export async function refusedPort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A failed instance stays skipped for the whole test, however slow the machine is. */
export const SKIP_FOR_THE_TEST = { suspendInitialMs: 3_600_000, suspendMaxMs: 3_600_000 };

/** Options of a test proxy; anything left out takes the contract's default. */
export interface TestProxyOptions {
  mode?: ProxyMode;
  balance?: BalanceStrategy;
  waitForReadyMs?: number;
  maxReplayBodyBytes?: number;
  retryNonIdempotent?: boolean;
  /** How long a failed instance is skipped (not a `configure` setting: the service is built with it). */
  suspension?: Partial<ProxySuspension>;
}

/** Upstream membership written briefly: [port, isReady] per instance, instance = index. */
export function members(...entries: [number, boolean][]) {
  return entries.map(([port, isReady], instance) => ({
    instance,
    host: '127.0.0.1',
    port,
    isReady,
  }));
}

/** An in-process proxy for the pool "web" on 127.0.0.1:0, with the failures it reported. */
export async function startProxy(
  t: After,
  options: TestProxyOptions,
  upstreams: ReturnType<typeof members>,
): Promise<{
  service: ProxyService;
  port: number;
  failed: { instance: number; reason: string }[];
}> {
  const failed: { instance: number; reason: string }[] = [];
  const { suspension, ...settings } = options;
  const service = new ProxyService(
    (instance, reason) => failed.push({ instance, reason }),
    suspension,
  );
  t.after(() => service.close(0));
  const address = await service.configure(
    ConfigureMessageSchema.parse({
      type: 'configure',
      pool: 'web',
      listen: { host: '127.0.0.1', port: 0 },
      ...settings,
    }),
  );
  service.setUpstreams(upstreams);
  return { service, port: address.port, failed };
}

/** The response to one request, body read. */
export interface TestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request on a fresh connection and reads the whole response. */
export function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        agent: new Agent({ keepAlive: false }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Resolves when `predicate` holds, checking once per turn of the event loop (it watches state that an event changes). */
export async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function portOf(server: Server | NetServer): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Expected a TCP address');
  return address.port;
}

function closeServer(server: Server | NetServer): Promise<void> {
  return new Promise((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close(() => resolve());
  });
}
