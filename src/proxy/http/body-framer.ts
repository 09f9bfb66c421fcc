/** How a message body is delimited: absent, by Content-Length, by chunked framing, or by the connection closing. */
export type BodyKind = 'none' | 'length' | 'chunked' | 'close';

// Chunked parser states.
const SIZE = 0;
const EXTENSION = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILER_START = 6;
const TRAILER = 7;
const TRAILER_LF = 8;
const END_LF = 9;

const CR = 13;
const LF = 10;
/** 13 hex digits keep a chunk size below 2^52, exact in a double. */
const MAX_SIZE_DIGITS = 13;
const MAX_TRAILER_BYTES = 16 * 1024;

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}

/**
 * Finds where a message body ends, without copying or decoding it: the proxy forwards the body
 * bytes exactly as they came (chunked stays chunked), and only needs to know the boundary to
 * keep connections in step.
 */
export class BodyFramer {
  kind: BodyKind = 'none';
  /** Whether the whole body has been seen (a close-delimited body ends only at close). */
  isDone = true;
  #remaining = 0;
  #state = SIZE;
  #sizeDigits = 0;
  #trailerBytes = 0;

  /** Starts framing a new body. */
  reset(kind: BodyKind, contentLength: number): void {
    this.kind = kind;
    this.#state = SIZE;
    this.#sizeDigits = 0;
    this.#trailerBytes = 0;
    if (kind === 'length') {
      this.#remaining = contentLength;
      this.isDone = contentLength === 0;
    } else {
      this.#remaining = 0;
      this.isDone = kind === 'none';
    }
  }

  /** How many bytes of buf[start, end) belong to this body (all of them for a close-delimited one), or -1 when chunked framing is malformed. */
  consume(buf: Buffer, start: number, end: number): number {
    if (this.isDone) return 0;
    if (this.kind === 'close') return end - start;
    if (this.kind === 'length') {
      const taken = Math.min(this.#remaining, end - start);
      this.#remaining -= taken;
      if (this.#remaining === 0) this.isDone = true;
      return taken;
    }
    return this.#consumeChunked(buf, start, end);
  }

  #consumeChunked(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      if (this.#state === DATA) {
        const taken = Math.min(this.#remaining, end - i);
        i += taken;
        this.#remaining -= taken;
        if (this.#remaining === 0) this.#state = DATA_CR;
        continue;
      }
      const byte = buf[i] as number;
      i++;
      switch (this.#state) {
        case SIZE: {
          const digit = hexValue(byte);
          if (digit >= 0) {
            if (++this.#sizeDigits > MAX_SIZE_DIGITS) return -1;
            this.#remaining = this.#remaining * 16 + digit;
          } else if (this.#sizeDigits === 0) {
            return -1;
          } else if (byte === CR) {
            this.#state = SIZE_LF;
          } else if (byte === 59 || byte === 32 || byte === 9) {
            this.#state = EXTENSION;
          } else {
            return -1;
          }
          break;
        }
        case EXTENSION:
          if (byte === CR) this.#state = SIZE_LF;
          else if (byte === LF || byte === 0) return -1;
          break;
        case SIZE_LF:
          if (byte !== LF) return -1;
          this.#sizeDigits = 0;
          this.#state = this.#remaining === 0 ? TRAILER_START : DATA;
          break;
        case DATA_CR:
          if (byte !== CR) return -1;
          this.#state = DATA_LF;
          break;
        case DATA_LF:
          if (byte !== LF) return -1;
          this.#state = SIZE;
          break;
        case TRAILER_START:
          if (byte === CR) {
            this.#state = END_LF;
            break;
          }
          if (byte === LF) return -1;
          this.#state = TRAILER;
          if (++this.#trailerBytes > MAX_TRAILER_BYTES) return -1;
          break;
        case TRAILER:
          if (++this.#trailerBytes > MAX_TRAILER_BYTES) return -1;
          if (byte === CR) this.#state = TRAILER_LF;
          else if (byte === LF) return -1;
          break;
        case TRAILER_LF:
          if (byte !== LF) return -1;
          this.#state = TRAILER_START;
          break;
        case END_LF:
          if (byte !== LF) return -1;
          this.isDone = true;
          return i - start;
      }
    }
    return i - start;
  }
}
