import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  checkListenSetting,
  DEFAULT_DASHBOARD_PORT,
  DEFAULT_LISTEN_HOST,
  type ListenSetting,
} from '../../config/listen-address.js';
import { parseInput } from '../parse-input.js';
import type { ListenerReply } from '../wire.js';

/** What the listener routes need from the daemon: its TCP listener, which saves what it is told. */
export interface ListenerControl {
  status(): ListenerReply;
  /** Binds (or re-binds) the listener and saves the setting; TEND_ERR_DAEMON_LISTEN_FAILED when the address cannot be bound. */
  listen(setting: ListenSetting): Promise<ListenerReply>;
  /** Closes the listener and saves that none is wanted. */
  close(): Promise<ListenerReply>;
}

const ListenBody = z.strictObject({
  host: z.string().min(1).max(255).default(DEFAULT_LISTEN_HOST),
  port: z.number().int().min(0).max(65_535).default(DEFAULT_DASHBOARD_PORT),
  isPublic: z.boolean().default(false),
});

/** `GET|PUT|DELETE /v1/daemon/listener`: registered on the Unix socket only, so a token cannot move or close its own listener. */
export function registerListenerRoutes(app: FastifyInstance, listener: ListenerControl): void {
  app.get('/v1/daemon/listener', async () => listener.status());

  app.put('/v1/daemon/listener', async (request) => {
    const body = parseInput(ListenBody, request.body ?? {}, 'listener request');
    return listener.listen(checkListenSetting(body));
  });

  app.delete('/v1/daemon/listener', async () => listener.close());
}
