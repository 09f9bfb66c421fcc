import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerValue } from '../../src/proxy/tasks/head-fields.js';
import { parseTaskTarget, upstreamTarget, withTarget } from '../../src/proxy/tasks/task-target.js';
import { websocketHandshakeProblem } from '../../src/proxy/tasks/websocket-handshake.js';

test('a target under /<pool>/ names new, allocate or a task with the path it sees', () => {
  const kinds = (target: string) => {
    const parsed = parseTaskTarget(target, 'rooms');
    return parsed.kind === 'task'
      ? [parsed.kind, parsed.id, parsed.path, parsed.query.toString()]
      : [parsed.kind];
  };
  assert.deepEqual(kinds('/rooms/new'), ['new']);
  assert.deepEqual(kinds('/rooms/new?id=a'), ['new']);
  assert.deepEqual(kinds('/rooms/allocate?ttlMs=5'), ['allocate']);
  assert.deepEqual(kinds('/rooms/t1'), ['task', 't1', '/', '']);
  assert.deepEqual(kinds('/rooms/t1/a/b?x=1'), ['task', 't1', '/a/b', 'x=1']);
  assert.deepEqual(
    kinds('/rooms/new/x'),
    ['task', 'new', '/x', ''],
    'a reserved word is refused as an id later',
  );
  assert.deepEqual(kinds('/rooms/'), ['task', '', '/', '']);
  assert.deepEqual(kinds('/rooms'), ['none']);
  assert.deepEqual(kinds('/roomsx/t1'), ['none']);
  assert.deepEqual(kinds('/'), ['none']);
});

test('tend’s own parameters are not passed on, and the request line gets the new target', () => {
  assert.equal(upstreamTarget('/', new URLSearchParams('token=s&owner=o&id=a')), '/?id=a');
  assert.equal(upstreamTarget('/x', new URLSearchParams('')), '/x');
  assert.equal(
    withTarget('GET /rooms/t1/x?a=1 HTTP/1.1\r\nhost: h\r\n\r\n', 'GET', '/x?a=1'),
    'GET /x?a=1 HTTP/1.1\r\nhost: h\r\n\r\n',
  );
});

test('headers are read by name, case-insensitively, the first when repeated', () => {
  const head =
    'GET / HTTP/1.1\r\nHost: h\r\nAuthorization:  Bearer abc \r\nauthorization: Bearer second';
  assert.equal(headerValue(head, 'authorization'), 'Bearer abc');
  assert.equal(headerValue(head, 'host'), 'h');
  assert.equal(headerValue(head, 'upgrade'), undefined);
  assert.equal(headerValue('GET / HTTP/1.1', 'host'), undefined);
});

test('a WebSocket handshake needs Upgrade: websocket, a 16-byte base64 key and version 13', () => {
  const head = (key: string, version: string, upgrade = 'websocket') =>
    `GET / HTTP/1.1\r\nupgrade: ${upgrade}\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: ${version}`;
  assert.equal(websocketHandshakeProblem(head('dGhlIHNhbXBsZSBub25jZQ==', '13')), null);
  assert.equal(
    websocketHandshakeProblem(head('dGhlIHNhbXBsZSBub25jZQ==', '13', 'WebSocket')),
    null,
  );
  assert.match(
    websocketHandshakeProblem(head('dGhlIHNhbXBsZSBub25jZR==', '13')) ?? '',
    /Key/,
    'not 16 bytes exactly',
  );
  assert.match(websocketHandshakeProblem(head('dGhlIHNhbXBsZSBub25jZQ', '13')) ?? '', /Key/);
  assert.match(
    websocketHandshakeProblem(head('dGhlIHNhbXBsZSBub25jZQ==', '12')) ?? '',
    /Version 13, got "12"/,
  );
  assert.match(websocketHandshakeProblem(head('x', '13', 'h2c')) ?? '', /Upgrade: websocket/);
});
