import { ControlServer } from './control-server.js';
import { isSuspectReason, SHUTDOWN_GRACE_MS } from './proxy-options.js';
import { ProxyService } from './proxy-service.js';

/** A running proxy process: its service and control socket, and how to stop it. */
export interface RunningProxy {
  service: ProxyService;
  control: ControlServer;
  /** Stops accepting, finishes in-flight work (up to SHUTDOWN_GRACE_MS), closes the control socket. */
  shutdown(): Promise<void>;
}

/**
 * Runs the proxy behind the control socket at `socketPath`. `onExit` is called with 0 after a
 * shutdown (SIGTERM, SIGINT) and 1 when the proxy cannot listen; proxy-main exits with it.
 */
export async function runProxy(
  socketPath: string,
  onExit: (code: number) => void,
): Promise<RunningProxy> {
  let control: ControlServer | undefined;
  const service = new ProxyService(
    (instance, reason) => {
      control?.broadcast({ type: 'upstream-failed', instance, reason });
      if (isSuspectReason(reason))
        control?.broadcast({ type: 'upstream-suspect', instance, reason });
    },
    {},
    (instance) => control?.broadcast({ type: 'drained', instance }),
    { sendToDaemon: (message) => control?.sendToDaemon(message) ?? false },
  );
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      await service.close(SHUTDOWN_GRACE_MS);
      await control?.close();
    })();
    return shuttingDown;
  };
  control = await ControlServer.start(socketPath, service, () => {
    void shutdown().then(() => onExit(1));
  });
  return { service, control, shutdown };
}
