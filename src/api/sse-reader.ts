/** One Server-Sent Events message: its `event` name (`message` when absent), `data` and `id`. */
export interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Reads a text/event-stream as its bytes arrive and hands on each whole message (the part of
 * the format tend's event stream uses: `event`, `data`, `id` fields and `:` comments).
 */
export class SseReader {
  readonly #onMessage: (message: SseMessage) => void;
  readonly #decoder = new TextDecoder();
  #pending = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  constructor(onMessage: (message: SseMessage) => void) {
    this.#onMessage = onMessage;
  }

  /** Takes the next bytes of the stream. */
  push(chunk: Uint8Array): void {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    let newline = this.#pending.indexOf('\n');
    while (newline >= 0) {
      this.#readLine(this.#pending.slice(0, newline).replace(/\r$/, ''));
      this.#pending = this.#pending.slice(newline + 1);
      newline = this.#pending.indexOf('\n');
    }
  }

  #readLine(line: string): void {
    if (line === '') {
      if (this.#data.length > 0 || this.#event !== '') {
        this.#onMessage({
          event: this.#event || 'message',
          data: this.#data.join('\n'),
          id: this.#id,
        });
      }
      this.#event = '';
      this.#data = [];
      this.#id = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id') this.#id = value;
  }
}
