import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, listenUrl, parseListenAddress } from '../../src/config/listen-address.js';
import { TendError } from '../../src/errors.js';

test('--listen takes HOST:PORT, [IPv6]:PORT or a port alone (on 127.0.0.1)', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:7650', false), {
    host: '127.0.0.1',
    port: 7650,
    isPublic: false,
  });
  assert.deepEqual(parseListenAddress('[::1]:80', false), {
    host: '::1',
    port: 80,
    isPublic: false,
  });
  assert.deepEqual(parseListenAddress('7651', false), {
    host: '127.0.0.1',
    port: 7651,
    isPublic: false,
  });
  assert.deepEqual(parseListenAddress('localhost:0', false), {
    host: 'localhost',
    port: 0,
    isPublic: false,
  });
});

test('a malformed --listen or a port past 65535 is a usage error that shows the expected form', () => {
  for (const text of ['', 'abc', '127.0.0.1:', '127.0.0.1:70000', '1.2.3.4:5:6', '::1:80']) {
    assert.throws(
      () => parseListenAddress(text, false),
      (error: unknown) =>
        error instanceof TendError &&
        error.code === 'TEND_ERR_USAGE_INVALID_ARGUMENT' &&
        /HOST:PORT/.test(error.message),
      text,
    );
  }
});

test('an address beyond loopback needs the explicit consent (--listen-public)', () => {
  assert.throws(
    () => parseListenAddress('0.0.0.0:7650', false),
    (error: unknown) => error instanceof TendError && /--listen-public/.test(error.message),
  );
  assert.deepEqual(parseListenAddress('0.0.0.0:7650', true), {
    host: '0.0.0.0',
    port: 7650,
    isPublic: true,
  });
});

test('loopback is 127.0.0.0/8, ::1 and localhost; nothing else', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
    assert.ok(isLoopbackHost(host));
  for (const host of ['0.0.0.0', '::', '10.0.0.1', '127.example.com', 'example.com']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test('an IPv6 listener URL has brackets', () => {
  assert.equal(listenUrl('::1', 7650), 'http://[::1]:7650/');
  assert.equal(listenUrl('127.0.0.1', 7650), 'http://127.0.0.1:7650/');
});
