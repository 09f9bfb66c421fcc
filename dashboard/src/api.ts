/** An error reply of the daemon (`{"error":{code,message}}`), or a connection that failed (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** Whether the daemon refused the token. */
  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

/** The daemon's API over TCP, every call with the bearer token (never in a URL). */
export class Api {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  /** One JSON request; an error reply becomes an ApiError with the daemon's code and message. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(method, path, body);
    const text = await response.text();
    if (!response.ok) throw errorOf(response, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A streaming GET: `onOpen` once the reply started, then `onText` for each piece; resolves when the daemon ends it. */
  async stream(
    path: string,
    handlers: { onOpen?: () => void; onText: (text: string) => void },
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.#fetch('GET', path, undefined, signal);
    if (!response.ok) throw errorOf(response, await response.text());
    if (!response.body) throw new ApiError(0, 'NO_BODY', 'The reply has no body to stream');
    handlers.onOpen?.();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal.aborted) throw error;
        throw new ApiError(0, 'CONNECTION_LOST', 'The connection to the daemon broke');
      }
      if (chunk.done) return;
      handlers.onText(chunk.value);
    }
  }

  async #fetch(
    method: string,
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(path, {
        method,
        headers,
        cache: 'no-store',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(0, 'CONNECTION_LOST', 'The daemon does not answer (connection lost)');
    }
  }
}

function errorOf(response: Response, text: string): ApiError {
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return new ApiError(response.status, error.code, error.message);
  } catch {
    return new ApiError(response.status, `HTTP_${response.status}`, response.statusText);
  }
}

/** Waits `ms`, or less when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Retry pacing after a lost connection: 0.5 s doubling to 10 s. */
export function backoffMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
}
