/** One Server-Sent Events message. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Parses a text/event-stream as it arrives (the WHATWG rules tend's daemon needs: `id`,
 * `event`, `data` on several lines, comments, a blank line ends a message). EventSource would
 * do this, but it cannot send the Authorization header, so the stream is read with fetch().
 */
export class SseParser {
  readonly #onMessage: (message: SseMessage) => void;
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | null = null;

  constructor(onMessage: (message: SseMessage) => void) {
    this.#onMessage = onMessage;
  }

  push(text: string): void {
    this.#buffer += text;
    let end = this.#buffer.indexOf('\n');
    while (end >= 0) {
      const line = this.#buffer.slice(0, end).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(end + 1);
      this.#line(line);
      end = this.#buffer.indexOf('\n');
    }
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        this.#onMessage({
          id: this.#id,
          event: this.#event || 'message',
          data: this.#data.join('\n'),
        });
      }
      this.#data = [];
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
  }
}

/** Splits NDJSON text into parsed objects as it arrives. */
export class NdjsonParser<T> {
  readonly #onValue: (value: T) => void;
  #buffer = '';

  constructor(onValue: (value: T) => void) {
    this.#onValue = onValue;
  }

  push(text: string): void {
    this.#buffer += text;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.#onValue(JSON.parse(line) as T);
  }
}
