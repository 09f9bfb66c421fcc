import { join } from 'node:path';
import { ensureFifos, ensureFifosSync, removeInstanceFiles } from '../logs/fifo.js';
import type { EnsureFifos } from '../logs/fifo-batch.js';
import { runDirectory } from '../logs/log-paths.js';
import type { SpawnRequest } from '../process/runtime.js';
import { NotifyChannel } from './notify-channel.js';
import type { NotifyDigest } from './notify-parser.js';

/** The FIFO of an instance's notify channel: `$TEND_HOME/run/<name>.<index>.notify`. */
export function notifyFifoPath(home: string, name: string, instance: number): string {
  return join(runDirectory(home), `${name}.${instance}.notify`);
}

/** Options of a NotifyManager. */
export interface NotifyManagerOptions {
  home: string;
  /** What an instance said, one coalesced digest per read. */
  onDigest(name: string, instance: number, digest: NotifyDigest): void;
  onError(error: Error): void;
  /** How `prepare` makes the FIFOs (the daemon shares one batch with the output's). */
  ensureFifos?: EnsureFifos;
}

/** Every instance's notify channel: made with the output FIFOs, opened at each spawn, removed with the program. */
export class NotifyManager {
  readonly #home: string;
  readonly #onDigest: NotifyManagerOptions['onDigest'];
  readonly #onError: NotifyManagerOptions['onError'];
  readonly #ensureFifos: EnsureFifos;
  readonly #channels = new Map<string, Map<number, NotifyChannel>>();
  #isClosed = false;

  constructor(options: NotifyManagerOptions) {
    this.#home = options.home;
    this.#onDigest = options.onDigest;
    this.#onError = options.onError;
    this.#ensureFifos = options.ensureFifos ?? ensureFifos;
  }

  /** Creates the FIFOs of instances 0…instanceCount-1 that do not exist yet. */
  async prepare(name: string, instanceCount: number): Promise<void> {
    const paths: string[] = [];
    for (let instance = 0; instance < instanceCount; instance++) {
      paths.push(notifyFifoPath(this.#home, name, instance));
    }
    await this.#ensureFifos(paths);
  }

  /** The write end of an instance's channel for its next process; the caller closes it after the spawn. */
  openWriteEnd(request: SpawnRequest): number {
    return this.#channelOf(request.spec.name, request.instance).openWriteEnd();
  }

  /** A read end of the instance's channel for the child to hold (see NotifyChannel.openHolder). */
  openHolder(request: SpawnRequest): number {
    return this.#channelOf(request.spec.name, request.instance).openHolder();
  }

  /**
   * Reads an instance's channel again without spawning: for a process adopted from an earlier
   * daemon, which still holds the write end it was given.
   */
  attach(name: string, instance: number): void {
    this.#channelOf(name, instance).attach();
  }

  #channelOf(name: string, index: number): NotifyChannel {
    if (this.#isClosed) throw new Error('Notify channels are closed: tend is stopping');
    let instances = this.#channels.get(name);
    if (!instances) {
      instances = new Map();
      this.#channels.set(name, instances);
    }
    let channel = instances.get(index);
    if (!channel) {
      const fifoPath = notifyFifoPath(this.#home, name, index);
      ensureFifosSync([fifoPath]);
      channel = new NotifyChannel({
        fifoPath,
        onDigest: (digest) => this.#onDigest(name, index, digest),
        onError: this.#onError,
      });
      instances.set(index, channel);
    }
    return channel;
  }

  /** Forgets a deleted program: closes its channels and deletes their FIFOs. */
  remove(name: string): void {
    for (const channel of this.#channels.get(name)?.values() ?? []) channel.close();
    this.#channels.delete(name);
    removeInstanceFiles(runDirectory(this.#home), name, /^\.notify$/);
  }

  /** Shutdown: stops reading every channel. */
  close(): void {
    this.#isClosed = true;
    for (const instances of this.#channels.values()) {
      for (const channel of instances.values()) channel.close();
    }
    this.#channels.clear();
  }
}
