import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasBearerToken } from '../../src/api/bearer-auth.js';

const TOKEN = 'cW2HlCT42-2GhtlHoFPNh66U1OreUfa_PUq_ktv4vkg';

test('the right token in a Bearer header is accepted, whatever the case of "Bearer"', () => {
  assert.equal(hasBearerToken(`Bearer ${TOKEN}`, TOKEN), true);
  assert.equal(hasBearerToken(`bearer ${TOKEN}`, TOKEN), true);
});

test('a missing, empty, other-scheme, longer, shorter or different token is refused', () => {
  assert.equal(hasBearerToken(undefined, TOKEN), false);
  assert.equal(hasBearerToken('', TOKEN), false);
  assert.equal(hasBearerToken('Bearer ', TOKEN), false);
  assert.equal(hasBearerToken(`Basic ${TOKEN}`, TOKEN), false);
  assert.equal(hasBearerToken(TOKEN, TOKEN), false);
  assert.equal(hasBearerToken(`Bearer ${TOKEN}x`, TOKEN), false);
  assert.equal(hasBearerToken(`Bearer ${TOKEN.slice(1)}`, TOKEN), false);
  assert.equal(hasBearerToken(`Bearer ${TOKEN.replace('c', 'd')}`, TOKEN), false);
  assert.equal(hasBearerToken(`Bearer ${TOKEN} extra`, TOKEN), false);
});
