import type { BodyKind } from './body-framer.js';

/** An upstream response head, with the head to send the client (minus its Connection header and final empty line). */
export interface ResponseHead {
  status: number;
  bodyKind: BodyKind;
  contentLength: number;
  /** Whether the upstream connection can carry another request after this response. */
  isUpstreamKeepAlive: boolean;
  /** The Upgrade header's value on a 101, to pass on. */
  upgrade: string;
  /** Status line and end-to-end headers, each line ending in CRLF. */
  clientHead: string;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;
const CONTENT_LENGTH = /^\d{1,15}$/;

/**
 * Parses a response head (latin1 text, without its final empty line) and works out how its body
 * ends. `isHeadRequest` matters because a response to HEAD has no body whatever it says.
 * Returns undefined for a head that is not HTTP/1.x.
 */
export function parseResponseHead(head: string, isHeadRequest: boolean): ResponseHead | undefined {
  const lineEnd = head.indexOf('\r\n');
  const statusLine = STATUS_LINE.exec(lineEnd === -1 ? head : head.slice(0, lineEnd));
  if (statusLine === null) return undefined;
  const isHttp10 = statusLine[1] === '0';
  const status = Number(statusLine[2]);
  const headersStart = lineEnd === -1 ? head.length : lineEnd + 2;

  let clientHead = lineEnd === -1 ? `${head}\r\n` : head.slice(0, headersStart);
  let keptFrom = headersStart;
  let connection = '';
  let upgrade = '';
  let transferEncoding: string | undefined;
  let contentLength = -1;
  let pos = headersStart;
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos);
    if (end === -1) end = head.length;
    const colon = head.indexOf(':', pos);
    if (colon === -1 || colon > end) return undefined;
    const nameLength = colon - pos;
    let isDropped = false;
    if (nameLength === 2 || nameLength === 7 || nameLength === 10 || nameLength >= 14) {
      switch (head.slice(pos, colon).toLowerCase()) {
        case 'content-length': {
          const value = head.slice(colon + 1, end).trim();
          if (!CONTENT_LENGTH.test(value)) return undefined;
          if (contentLength !== -1 && contentLength !== Number(value)) return undefined;
          contentLength = Number(value);
          break;
        }
        case 'transfer-encoding': {
          const value = head
            .slice(colon + 1, end)
            .trim()
            .toLowerCase();
          transferEncoding =
            transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          break;
        }
        case 'connection':
          connection += `${head.slice(colon + 1, end).toLowerCase()},`;
          isDropped = true;
          break;
        case 'upgrade':
          upgrade = head.slice(colon + 1, end).trim();
          isDropped = true;
          break;
        case 'keep-alive':
        case 'proxy-connection':
        case 'proxy-authenticate':
        case 'te':
          isDropped = true;
          break;
      }
    }
    if (isDropped) {
      clientHead += head.slice(keptFrom, pos);
      keptFrom = end + 2;
    }
    pos = end + 2;
  }
  if (keptFrom < head.length) clientHead += `${head.slice(keptFrom)}\r\n`;

  let bodyKind: BodyKind;
  if (isHeadRequest || status < 200 || status === 204 || status === 304) bodyKind = 'none';
  else if (transferEncoding !== undefined) {
    bodyKind = transferEncoding.endsWith('chunked') ? 'chunked' : 'close';
  } else if (contentLength !== -1) bodyKind = contentLength === 0 ? 'none' : 'length';
  else bodyKind = 'close';

  let isUpstreamKeepAlive = bodyKind !== 'close';
  if (connection !== '') {
    const tokens = connection.split(',').map((token) => token.trim());
    if (tokens.includes('close')) isUpstreamKeepAlive = false;
    else if (isHttp10 && !tokens.includes('keep-alive')) isUpstreamKeepAlive = false;
    const nominated = tokens.filter(
      (token) => token !== '' && token !== 'close' && token !== 'keep-alive' && token !== 'upgrade',
    );
    if (nominated.length > 0) clientHead = dropNamed(clientHead, nominated);
  } else if (isHttp10) {
    isUpstreamKeepAlive = false;
  }

  return {
    status,
    bodyKind,
    contentLength: contentLength === -1 ? 0 : contentLength,
    isUpstreamKeepAlive,
    upgrade,
    clientHead,
  };
}

function dropNamed(head: string, names: readonly string[]): string {
  const lines = head.split('\r\n');
  return lines
    .filter(
      (line, index) =>
        index === 0 || !names.includes(line.slice(0, line.indexOf(':')).toLowerCase()),
    )
    .join('\r\n');
}
