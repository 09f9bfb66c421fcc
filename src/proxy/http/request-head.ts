import type { BodyKind } from './body-framer.js';

/** A request head the proxy accepted, with the head to send upstream already written. */
export interface RequestHead {
  errorStatus: 0;
  method: string;
  /** The request target as sent (origin form: path and query). */
  target: string;
  /** GET, HEAD, OPTIONS, PUT and DELETE: safe to send twice. */
  isIdempotent: boolean;
  isHeadMethod: boolean;
  isHttp10: boolean;
  /** Whether the client wants its connection kept after the response. */
  isKeepAlive: boolean;
  bodyKind: BodyKind;
  contentLength: number;
  isUpgrade: boolean;
  expectsContinue: boolean;
  /** The complete head to write upstream: hop-by-hop headers dropped, X-Forwarded-* added, ending in an empty line. */
  forwardHead: string;
}

/** A request head the proxy refuses, with the status to answer. */
export interface RequestHeadError {
  errorStatus: 400 | 417 | 501 | 505;
  message: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: a target must have none.
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\x00-\x20\x7f]+) HTTP\/(\d)\.(\d)$/;
// Header names are tokens; values hold no control characters but tab. No obs-fold, no bare CR or LF,
// no space before the colon: each of those is a request-smuggling vector behind a proxy.
const HEADER_BLOCK = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e\x80-\xff]*(?:\r\n|$))*$/;
const CONTENT_LENGTH = /^\d{1,15}$/;

function refuse(errorStatus: RequestHeadError['errorStatus'], message: string): RequestHeadError {
  return { errorStatus, message };
}

function isIdempotentMethod(method: string): boolean {
  return (
    method === 'GET' ||
    method === 'HEAD' ||
    method === 'PUT' ||
    method === 'DELETE' ||
    method === 'OPTIONS'
  );
}

/** Whether a header name could be one the proxy acts on (a cheap length test before lower-casing it). */
function isNotableNameLength(length: number): boolean {
  return (
    length === 2 || length === 4 || length === 6 || length === 7 || (length >= 10 && length <= 19)
  );
}

/**
 * Parses a request head (latin1 text, without its final empty line) strictly, and writes the head
 * to forward upstream: hop-by-hop headers dropped, X-Forwarded-For appended, X-Forwarded-Proto and
 * X-Forwarded-Host set unless a proxy in front already set them. An HTTP/1.0 request without a
 * Host gets `defaultHost` (the address the client connected to), since many servers require one.
 */
export function parseRequestHead(
  head: string,
  clientAddress: string,
  defaultHost: string,
): RequestHead | RequestHeadError {
  const lineEnd = head.indexOf('\r\n');
  const requestLine = REQUEST_LINE.exec(lineEnd === -1 ? head : head.slice(0, lineEnd));
  if (requestLine === null) return refuse(400, 'Malformed request line');
  const method = requestLine[1] as string;
  if (requestLine[3] !== '1' || (requestLine[4] !== '0' && requestLine[4] !== '1')) {
    return refuse(505, 'Only HTTP/1.0 and HTTP/1.1 are supported');
  }
  if (method === 'CONNECT') return refuse(501, 'CONNECT is not supported');
  const isHttp10 = requestLine[4] === '0';
  const headersStart = lineEnd === -1 ? head.length : lineEnd + 2;
  if (headersStart < head.length && !HEADER_BLOCK.test(head.slice(headersStart))) {
    return refuse(400, 'Malformed header line');
  }

  let forwardHead = lineEnd === -1 ? `${head}\r\n` : head.slice(0, headersStart);
  let keptFrom = headersStart;
  let host: string | undefined;
  let forwardedFor = '';
  let hasForwardedProto = false;
  let hasForwardedHost = false;
  let connection = '';
  let upgrade = '';
  let transferEncoding: string | undefined;
  let contentLength = -1;
  let expect = '';
  let pos = headersStart;
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos);
    if (end === -1) end = head.length;
    const colon = head.indexOf(':', pos);
    let isDropped = false;
    if (isNotableNameLength(colon - pos)) {
      const name = head.slice(pos, colon).toLowerCase();
      switch (name) {
        case 'host':
          if (host !== undefined) return refuse(400, 'More than one Host header');
          host = head.slice(colon + 1, end).trim();
          break;
        case 'content-length': {
          const value = head.slice(colon + 1, end).trim();
          if (!CONTENT_LENGTH.test(value)) return refuse(400, 'Invalid Content-Length');
          const length = Number(value);
          if (contentLength !== -1 && contentLength !== length) {
            return refuse(400, 'Conflicting Content-Length headers');
          }
          contentLength = length;
          break;
        }
        case 'transfer-encoding':
          if (transferEncoding !== undefined)
            return refuse(400, 'More than one Transfer-Encoding header');
          transferEncoding = head
            .slice(colon + 1, end)
            .trim()
            .toLowerCase();
          break;
        case 'connection':
          connection += `${head.slice(colon + 1, end)},`;
          isDropped = true;
          break;
        case 'upgrade':
          upgrade = head.slice(colon + 1, end).trim();
          isDropped = true;
          break;
        case 'expect':
          expect = head
            .slice(colon + 1, end)
            .trim()
            .toLowerCase();
          isDropped = true;
          break;
        case 'x-forwarded-for': {
          const value = head.slice(colon + 1, end).trim();
          forwardedFor = forwardedFor === '' ? value : `${forwardedFor}, ${value}`;
          isDropped = true;
          break;
        }
        case 'x-forwarded-proto':
          hasForwardedProto = true;
          break;
        case 'x-forwarded-host':
          hasForwardedHost = true;
          break;
        case 'keep-alive':
        case 'proxy-connection':
        case 'proxy-authorization':
        case 'te':
          isDropped = true;
          break;
      }
    }
    if (isDropped) {
      forwardHead += head.slice(keptFrom, pos);
      keptFrom = end + 2;
    }
    pos = end + 2;
  }
  if (keptFrom < head.length) forwardHead += `${head.slice(keptFrom)}\r\n`;

  if (host === undefined && !isHttp10) return refuse(400, 'HTTP/1.1 requests need a Host header');
  let bodyKind: BodyKind = contentLength > 0 ? 'length' : 'none';
  if (transferEncoding !== undefined) {
    if (isHttp10) return refuse(400, 'Transfer-Encoding is not allowed in HTTP/1.0');
    if (contentLength !== -1) return refuse(400, 'Both Content-Length and Transfer-Encoding');
    if (!transferEncoding.endsWith('chunked') || /(^|[\s,])chunked\s*,/.test(transferEncoding)) {
      return refuse(400, 'Transfer-Encoding must end with chunked');
    }
    bodyKind = 'chunked';
  }
  if (expect !== '' && expect !== '100-continue')
    return refuse(417, 'Only Expect: 100-continue is supported');

  let hasClose = false;
  let hasKeepAlive = false;
  let hasUpgrade = false;
  let nominated: string[] | undefined;
  if (connection !== '') {
    for (const raw of connection.split(',')) {
      const token = raw.trim().toLowerCase();
      if (token === '') continue;
      if (token === 'close') hasClose = true;
      else if (token === 'keep-alive') hasKeepAlive = true;
      else if (token === 'upgrade') hasUpgrade = true;
      else {
        nominated ??= [];
        nominated.push(token);
      }
    }
  }
  if (nominated !== undefined) forwardHead = dropNominatedHeaders(forwardHead, nominated);
  const isUpgrade = hasUpgrade && upgrade !== '' && bodyKind === 'none' && !isHttp10;

  forwardHead += `x-forwarded-for: ${forwardedFor === '' ? '' : `${forwardedFor}, `}${clientAddress}\r\n`;
  if (!hasForwardedProto) forwardHead += 'x-forwarded-proto: http\r\n';
  if (!hasForwardedHost && host !== undefined && host !== '')
    forwardHead += `x-forwarded-host: ${host}\r\n`;
  if (host === undefined) forwardHead += `host: ${defaultHost}\r\n`;
  if (isUpgrade) forwardHead += `connection: upgrade\r\nupgrade: ${upgrade}\r\n`;
  else if (isHttp10) forwardHead += 'connection: keep-alive\r\n';
  forwardHead += '\r\n';

  return {
    errorStatus: 0,
    method,
    target: requestLine[2] as string,
    isIdempotent: isIdempotentMethod(method),
    isHeadMethod: method === 'HEAD',
    isHttp10,
    isKeepAlive: isHttp10 ? hasKeepAlive && !hasClose : !hasClose,
    bodyKind,
    contentLength: contentLength === -1 ? 0 : contentLength,
    isUpgrade,
    expectsContinue: expect === '100-continue' && bodyKind !== 'none',
    forwardHead,
  };
}

/** Drops the headers that a Connection header names: they are hop-by-hop too (RFC 9110 §7.6.1). Rare, so plain. */
export function dropNominatedHeaders(head: string, names: readonly string[]): string {
  const lines = head.split('\r\n');
  const kept = [lines[0] as string];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    if (!names.includes(name)) kept.push(line);
  }
  return kept.join('\r\n');
}
