import { startClusterWorker } from './cluster-worker-link.js';
import { ControlServer } from './control-server.js';
import { ProxyHub } from './proxy-hub.js';
import { startInProcessWorker } from './worker-link.js';

/** A running proxy process: its primary (the hub) and control socket, and how to stop it. */
export interface RunningProxy {
  hub: ProxyHub;
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
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      await hub.shutdown();
      await control?.close();
    })();
    return shuttingDown;
  };
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const hub = new ProxyHub({
    broadcast: (message, callback) => {
      if (control === undefined) callback?.();
      else control.broadcast(message, callback);
    },
    isDaemonConnected: () => control?.isConnected ?? false,
    onFatal: () => {
      void shutdown().then(() => onExit(1));
    },
    startInProcess: startInProcessWorker(),
    startCluster: startClusterWorker,
    log,
  });
  control = await ControlServer.start(
    socketPath,
    (message, reply) => hub.handle(message, reply),
    log,
  );
  return { hub, control, shutdown };
}
