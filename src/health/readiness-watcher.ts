import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { isProbeGated } from '../supervisor/readiness.js';
import type { InstanceSnapshot } from '../supervisor/types.js';
import {
  describePortInUse,
  findListeningInodes,
  findSocketHolder,
  listeningInodesByPort,
  portsListenedBy,
} from './listening-owner.js';
import { waitUntilServing } from './tcp-probe.js';

/** Host that instances are checked on: they serve the proxy and local clients. */
const INSTANCE_HOST = '127.0.0.1';
/** How often a process that is not listening on its port yet is checked for listening on another one. */
const ELSEWHERE_CHECK_MS = 1_000;

/** Who hears what a check found: the pid that became ready, or why a pid is not ready. */
export interface ReadinessListener {
  onReady(pid: number): void;
  /** Another process answers on the instance's port (`port P is already in use by pid Q (comm)…`), or the instance listens only on other ports. */
  onBlocked(pid: number, problem: string): void;
}

/**
 * Runs the readiness check of every `starting` instance of a program with `readiness: tcp` and
 * neither a startup nor a readiness probe (those decide readiness then: probe-wiring.ts), one per
 * process: ready means the instance itself (or a process it started) listens on its port. It
 * reports the pid that became ready, or another process found on the port; the supervisor decides.
 */
export class ReadinessWatcher {
  /** The check under way for each instance, keyed `name:index`, with the pid it checks. */
  readonly #checks = new Map<string, { pid: number; abort: AbortController }>();
  /** One read of the listening-socket tables shared by the checks of one round (a pool of 1,000 starting at once). */
  #tables: { at: number; read: Promise<Map<number, Set<number>>> } | null = null;

  /** Starts, keeps or cancels the check of an instance after any change of it. */
  update(spec: ProgramSpec, snapshot: InstanceSnapshot, listener: ReadinessListener): void {
    const key = `${snapshot.name}:${snapshot.instance}`;
    const current = this.#checks.get(key);
    const port = instancePort(spec, snapshot.instance);
    // A program with a startup or readiness probe is made ready by its probes instead.
    const isWanted =
      spec.readiness === 'tcp' &&
      !isProbeGated(spec) &&
      port !== null &&
      snapshot.state === 'starting' &&
      snapshot.pid !== null;
    if (current && (!isWanted || current.pid !== snapshot.pid)) {
      current.abort.abort();
      this.#checks.delete(key);
    }
    if (!isWanted || port === null || snapshot.pid === null || this.#checks.has(key)) return;
    const pid = snapshot.pid;
    const abort = new AbortController();
    this.#checks.set(key, { pid, abort });
    const onHeldByOther = async () => {
      // Naming the holder is a courtesy: a failure to read /proc must not end the daemon.
      const holder = await findListeningInodes(port)
        .then(findSocketHolder)
        .catch(() => undefined);
      if (abort.signal.aborted) return;
      listener.onBlocked(
        pid,
        `${describePortInUse(port, holder)}, so this instance cannot listen on it`,
      );
    };
    const elsewhere = setInterval(() => {
      void reportListeningElsewhere(pid, port, this.#sharedTables(), abort.signal, listener).then(
        (isReported) => {
          if (isReported) clearInterval(elsewhere);
        },
      );
    }, ELSEWHERE_CHECK_MS);
    abort.signal.addEventListener('abort', () => clearInterval(elsewhere), { once: true });
    void waitUntilServing({ pid, host: INSTANCE_HOST, port }, abort.signal, onHeldByOther).then(
      (isReady) => {
        clearInterval(elsewhere);
        if (this.#checks.get(key)?.abort === abort) this.#checks.delete(key);
        if (isReady) listener.onReady(pid);
      },
    );
  }

  /** The listening sockets by port, read at most once per half check interval. */
  #sharedTables(): Promise<Map<number, Set<number>>> {
    const now = Date.now();
    if (this.#tables === null || now - this.#tables.at >= ELSEWHERE_CHECK_MS / 2) {
      this.#tables = { at: now, read: listeningInodesByPort().catch(() => new Map()) };
    }
    return this.#tables.read;
  }

  /** Cancels every check of a program (deleted) or of all (shutdown). */
  cancel(name?: string): void {
    for (const [key, check] of this.#checks) {
      if (name === undefined || key.startsWith(`${name}:`)) {
        check.abort.abort();
        this.#checks.delete(key);
      }
    }
  }
}

/**
 * Tells `listener` when the process listens, but not on its port: a server that ignores `PORT`
 * (`python3 -m http.server` on 8000) would otherwise wait out the start timeout unexplained.
 * Resolves whether it told.
 */
async function reportListeningElsewhere(
  pid: number,
  port: number,
  tables: Promise<Map<number, Set<number>>>,
  signal: AbortSignal,
  listener: ReadinessListener,
): Promise<boolean> {
  // Naming the ports is a courtesy: a failure to read /proc must not end the daemon.
  const ports = await tables
    .then((byPort) => portsListenedBy(pid, byPort))
    .catch((): number[] => []);
  if (signal.aborted || ports.length === 0 || ports.includes(port)) return false;
  const where = ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.join(', ')}`;
  listener.onBlocked(
    pid,
    `it listens on ${where} but not on its PORT ${port} (does it read $PORT?)`,
  );
  return true;
}
