const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** How the response ends its connection: as the request asked, unless the proxy closes it. */
export interface ResponseFraming {
  isKeepAlive: boolean;
  isHttp10: boolean;
  isHeadMethod: boolean;
}

/** A complete JSON response the proxy answers by itself on a task route, as bytes; `headers` are extra lines ending in CRLF. */
export function jsonResponse(
  status: number,
  body: unknown,
  framing: ResponseFraming,
  headers = '',
): Buffer {
  const json = Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${json.length}\r\n${headers}`;
  if (!framing.isKeepAlive) head += 'connection: close\r\n';
  else if (framing.isHttp10) head += 'connection: keep-alive\r\n';
  if (status === 503) head += 'retry-after: 1\r\n';
  if (status === 401) head += 'www-authenticate: Bearer\r\n';
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return framing.isHeadMethod ? headBytes : Buffer.concat([headBytes, json]);
}

/** tend's error body (`{ error: { code, message } }`, as the API answers). */
export function errorBody(
  code: string,
  message: string,
): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
