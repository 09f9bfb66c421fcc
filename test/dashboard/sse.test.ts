import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NdjsonParser, type SseMessage, SseParser } from '../../dashboard/src/sse.js';

function parseAll(chunks: string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = new SseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.push(chunk);
  return messages;
}

test('SSE: id, event and data make one message, ended by a blank line', () => {
  assert.deepEqual(parseAll(['id: 7\nevent: instance.exited\ndata: {"seq":7}\n\n']), [
    { id: '7', event: 'instance.exited', data: '{"seq":7}' },
  ]);
});

test('SSE: a message split anywhere across chunks comes out whole, once', () => {
  const text = 'id: 1\nevent: a\ndata: {"x":1}\n\nid: 2\nevent: b\ndata: {"x":2}\n\n';
  for (let cut = 1; cut < text.length; cut++) {
    const messages = parseAll([text.slice(0, cut), text.slice(cut)]);
    assert.deepEqual(
      messages.map((message) => [message.id, message.event, message.data]),
      [
        ['1', 'a', '{"x":1}'],
        ['2', 'b', '{"x":2}'],
      ],
      `cut at ${cut}`,
    );
  }
});

test('SSE: comments and keep-alives are skipped, CRLF is accepted, data lines join with newlines', () => {
  const messages = parseAll([': keep-alive\r\n\r\nevent: x\r\ndata: one\r\ndata: two\r\n\r\n']);
  assert.deepEqual(messages, [{ id: null, event: 'x', data: 'one\ntwo' }]);
});

test('SSE: a message without an event name is a "message"; without data, nothing', () => {
  assert.deepEqual(parseAll(['data:plain\n\nevent: empty\n\n']), [
    { id: null, event: 'message', data: 'plain' },
  ]);
});

test('SSE: the id stays for later messages until a new one comes (the resume point)', () => {
  const messages = parseAll(['id: 5\ndata: a\n\ndata: b\n\n']);
  assert.deepEqual(
    messages.map((message) => message.id),
    ['5', '5'],
  );
});

test('NDJSON: objects split across chunks are parsed once whole; blank lines are skipped', () => {
  const values: unknown[] = [];
  const parser = new NdjsonParser((value) => values.push(value));
  parser.push('{"a":1}\n{"b"');
  parser.push(':2}\n\n{"c":3');
  assert.deepEqual(values, [{ a: 1 }, { b: 2 }]);
  parser.push('}\n');
  assert.deepEqual(values, [{ a: 1 }, { b: 2 }, { c: 3 }]);
});
