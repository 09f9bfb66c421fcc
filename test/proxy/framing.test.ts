import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyFramer } from '../../src/proxy/http/body-framer.js';
import { parseRequestHead } from '../../src/proxy/http/request-head.js';
import { parseResponseHead } from '../../src/proxy/http/response-head.js';

const CHUNKED =
  '4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: yes\r\n\r\n';

test('the chunked framer finds the end however the bytes are split', () => {
  const bytes = Buffer.from(`${CHUNKED}GET /next`);
  for (let split = 0; split <= CHUNKED.length; split++) {
    const framer = new BodyFramer();
    framer.reset('chunked', 0);
    const first = framer.consume(bytes, 0, split);
    const second = framer.consume(bytes, split, bytes.length);
    assert.equal(first + second, CHUNKED.length, `split at ${split}`);
    assert.equal(framer.isDone, true);
  }
});

test('the chunked framer rejects malformed framing', () => {
  for (const bad of ['z\r\n', '4\r\nWikiXX', '4\nWiki', '12345678901234\r\n']) {
    const framer = new BodyFramer();
    framer.reset('chunked', 0);
    assert.equal(framer.consume(Buffer.from(bad), 0, bad.length), -1, JSON.stringify(bad));
  }
});

test('a Content-Length body ends after exactly that many bytes', () => {
  const framer = new BodyFramer();
  framer.reset('length', 5);
  const bytes = Buffer.from('abcdefgh');
  assert.equal(framer.consume(bytes, 0, 3), 3);
  assert.equal(framer.isDone, false);
  assert.equal(framer.consume(bytes, 3, 8), 2);
  assert.equal(framer.isDone, true);
});

test('the forwarded request head keeps the request line and adds X-Forwarded-*', () => {
  const head = parseRequestHead(
    'GET /a?b=1 HTTP/1.1\r\nHost: example\r\nConnection: keep-alive\r\nAccept: */*',
    '10.0.0.7',
    '127.0.0.1:80',
  );
  assert.equal(head.errorStatus, 0);
  if (head.errorStatus !== 0) return;
  assert.equal(
    head.forwardHead,
    'GET /a?b=1 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\nx-forwarded-for: 10.0.0.7\r\nx-forwarded-proto: http\r\nx-forwarded-host: example\r\n\r\n',
  );
  assert.equal(head.isKeepAlive, true);
  assert.equal(head.isIdempotent, true);
});

test('a WebSocket request keeps its Upgrade and Connection: upgrade', () => {
  const head = parseRequestHead(
    'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k',
    '1.2.3.4',
    'x',
  );
  assert.equal(head.errorStatus, 0);
  if (head.errorStatus !== 0) return;
  assert.equal(head.isUpgrade, true);
  assert.match(head.forwardHead, /connection: upgrade\r\nupgrade: websocket\r\n\r\n$/);
});

test('only GET, HEAD, OPTIONS, PUT and DELETE count as idempotent', () => {
  const idempotent = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'POST', 'PATCH'].map((method) => {
    const head = parseRequestHead(`${method} / HTTP/1.1\r\nHost: a`, 'c', 'd');
    return head.errorStatus === 0 && head.isIdempotent;
  });
  assert.deepEqual(idempotent, [true, true, true, true, true, false, false]);
});

test('response framing: HEAD, 204 and 304 have no body; no length means read to close', () => {
  assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: 5', true)?.bodyKind, 'none');
  assert.equal(parseResponseHead('HTTP/1.1 204 No Content', false)?.bodyKind, 'none');
  assert.equal(
    parseResponseHead('HTTP/1.1 304 Not Modified\r\nContent-Length: 9', false)?.bodyKind,
    'none',
  );
  const unframed = parseResponseHead('HTTP/1.1 200 OK\r\nX: y', false);
  assert.equal(unframed?.bodyKind, 'close');
  assert.equal(unframed?.isUpstreamKeepAlive, false);
  const chunked = parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', false);
  assert.equal(chunked?.bodyKind, 'chunked');
  assert.equal(chunked?.isUpstreamKeepAlive, true);
  assert.equal(
    parseResponseHead('HTTP/1.0 200 OK\r\nContent-Length: 1', false)?.isUpstreamKeepAlive,
    false,
  );
  assert.equal(parseResponseHead('SPDY nonsense', false), undefined);
});
