import type { z } from 'zod';
import { formatDuration } from '../../config/human-units.js';
import type { AllocationAnswerSchema, ProxyMessage } from '../control-protocol.js';

/** A daemon's answer to an allocation the proxy asked for. */
export type AllocationAnswer = z.output<typeof AllocationAnswerSchema>;

/** Sends a message to the daemon; false when no daemon is connected to receive it. */
export type DaemonSend = (message: ProxyMessage) => boolean;

/** Why a request is refused when no daemon is connected to the proxy. */
export const NO_DAEMON_MESSAGE = 'No daemon is connected to the proxy to allocate';

/** A daemon that takes longer than this to answer an allocation is taken for gone (allocation waits are at most 120 s). */
export const DAEMON_ANSWER_TIMEOUT_MS = 130_000;

interface Pending {
  onAnswer: (answer: AllocationAnswer) => void;
  timer: NodeJS.Timeout;
}

/**
 * The proxy's allocation requests to the daemon (`allocate-task`, `allocate-lease`), matched to
 * their answers by request id. Ids carry the process id, so that with several proxy processes
 * each one knows its own answers from a sibling's.
 */
export class DaemonRequests {
  readonly #send: DaemonSend;
  readonly #prefix = `p${process.pid}-`;
  readonly #pending = new Map<string, Pending>();
  readonly #onLateAnswer: (answer: AllocationAnswer) => void;
  #next = 0;

  /** `onLateAnswer` gets answers of this process that came after their request was given up (a task allocated for nobody). */
  constructor(send: DaemonSend, onLateAnswer: (answer: AllocationAnswer) => void) {
    this.#send = send;
    this.#onLateAnswer = onLateAnswer;
  }

  /** Tells the daemon something that needs no answer; false when no daemon is connected. */
  tell(message: ProxyMessage): boolean {
    return this.#send(message);
  }

  /** Requests waiting for their answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends the message `build` makes with a fresh request id; `onAnswer` is called exactly once,
   * with the daemon's answer or with a refusal made here (no daemon connected, or no answer in time).
   */
  request(
    build: (requestId: string) => ProxyMessage,
    onAnswer: (answer: AllocationAnswer) => void,
  ): void {
    const requestId = `${this.#prefix}${++this.#next}`;
    const timer = setTimeout(() => {
      this.#pending.delete(requestId);
      onAnswer(
        refusal(
          requestId,
          `The daemon did not answer within ${formatDuration(DAEMON_ANSWER_TIMEOUT_MS)}`,
        ),
      );
    }, DAEMON_ANSWER_TIMEOUT_MS);
    this.#pending.set(requestId, { onAnswer, timer });
    if (!this.#send(build(requestId))) {
      clearTimeout(timer);
      this.#pending.delete(requestId);
      onAnswer(refusal(requestId, NO_DAEMON_MESSAGE));
    }
  }

  /** Routes an answer to its request; answers for another proxy process are ignored. */
  answer(answer: AllocationAnswer): void {
    const pending = this.#pending.get(answer.requestId);
    if (pending === undefined) {
      if (answer.requestId.startsWith(this.#prefix)) this.#onLateAnswer(answer);
      return;
    }
    this.#pending.delete(answer.requestId);
    clearTimeout(pending.timer);
    pending.onAnswer(answer);
  }

  /** Refuses every pending request (the proxy is shutting down). */
  close(): void {
    for (const [requestId, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.onAnswer(refusal(requestId, 'The proxy is shutting down'));
    }
    this.#pending.clear();
  }
}

/** The answer to a request that no daemon will answer (none connected, none in time, shutting down). */
export function refusal(requestId: string, message: string): AllocationAnswer {
  return { type: 'refused', requestId, status: 503, code: 'TEND_ERR_DAEMON_UNREACHABLE', message };
}
