const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** A complete plain-text response the proxy answers by itself (errors only), as bytes to write. */
export function errorResponse(
  status: number,
  message: string,
  options: { isKeepAlive: boolean; isHttp10: boolean; isHeadMethod: boolean },
): Buffer {
  const body = Buffer.from(`${message}\n`, 'utf8');
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n`;
  if (!options.isKeepAlive) head += 'connection: close\r\n';
  else if (options.isHttp10) head += 'connection: keep-alive\r\n';
  if (status === 503) head += 'retry-after: 1\r\n';
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return options.isHeadMethod ? headBytes : Buffer.concat([headBytes, body]);
}
