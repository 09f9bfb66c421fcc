import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SseMessage, SseReader } from '../../src/api/sse-reader.js';

function readAll(chunks: string[]): SseMessage[] {
  const messages: SseMessage[] = [];
  const reader = new SseReader((message) => messages.push(message));
  for (const chunk of chunks) reader.push(Buffer.from(chunk));
  return messages;
}

test('messages split anywhere across chunks, even inside a UTF-8 character, come out whole', () => {
  const text = 'id: 7\nevent: instance.exited\ndata: {"reason":"arrêté"}\n\n';
  const bytes = Buffer.from(text);
  const expected = [{ event: 'instance.exited', data: '{"reason":"arrêté"}', id: '7' }];
  for (let cut = 1; cut < bytes.length; cut++) {
    const messages: SseMessage[] = [];
    const reader = new SseReader((message) => messages.push(message));
    reader.push(bytes.subarray(0, cut));
    reader.push(bytes.subarray(cut));
    assert.deepEqual(messages, expected, `cut at ${cut}`);
  }
});

test('comments are skipped, data lines join with newlines, and a message without event is `message`', () => {
  assert.deepEqual(
    readAll([': keep-alive\n\n', 'data: a\ndata: b\r\n\r\n', 'event: stream.open\ndata: {}\n\n']),
    [
      { event: 'message', data: 'a\nb', id: undefined },
      { event: 'stream.open', data: '{}', id: undefined },
    ],
  );
});

test('nothing is handed on before the blank line that ends a message', () => {
  assert.deepEqual(readAll(['event: x\ndata: 1\n']), []);
});
