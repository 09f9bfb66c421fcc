import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ListenerReply } from '../../src/api/wire.js';
import { dashboardUrl } from '../../src/cli/commands/dashboard.js';

function listener(host: string, url: string): ListenerReply {
  return { isListening: true, host, port: 7650, isPublic: host !== '127.0.0.1', url };
}

test('the dashboard URL carries the token in its fragment', () => {
  assert.equal(
    dashboardUrl(listener('127.0.0.1', 'http://127.0.0.1:7650/'), 'abc_-1'),
    'http://127.0.0.1:7650/#token=abc_-1',
  );
});

test('a wildcard listener is opened through loopback, which a browser can reach', () => {
  assert.equal(
    dashboardUrl(listener('0.0.0.0', 'http://0.0.0.0:7650/'), 't'),
    'http://127.0.0.1:7650/#token=t',
  );
  assert.equal(
    dashboardUrl(listener('::', 'http://[::]:7650/'), 't'),
    'http://[::1]:7650/#token=t',
  );
});
