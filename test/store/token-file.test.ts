import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readOrCreateToken, readToken } from '../../src/store/token-file.js';
import { makeTempHome } from '../helpers/temp-home.js';

test('a token is created once, 43 base64url characters, readable by its owner only', (t) => {
  const home = makeTempHome(t);
  const path = join(home, 'token');
  const token = readOrCreateToken(path);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readFileSync(path, 'utf8'), `${token}\n`);
  assert.equal(readOrCreateToken(path), token, 'the next call reads the same token');
  assert.deepEqual(readdirSync(home), ['token'], 'no temp file is left');
});

test('two homes get different tokens', (t) => {
  const a = readOrCreateToken(join(makeTempHome(t), 'token'));
  const b = readOrCreateToken(join(makeTempHome(t), 'token'));
  assert.notEqual(a, b);
});

test('a token file that holds no token (empty, garbage) is replaced by a new token', (t) => {
  const path = join(makeTempHome(t), 'token');
  writeFileSync(path, '', { mode: 0o600 });
  assert.equal(readToken(path), undefined);
  const token = readOrCreateToken(path);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  writeFileSync(path, 'not a token!\n');
  assert.notEqual(readOrCreateToken(path), 'not a token!');
});

test('a token file readable by others is made private before it is used', (t) => {
  const path = join(makeTempHome(t), 'token');
  const token = readOrCreateToken(path);
  chmodSync(path, 0o644);
  assert.equal(readToken(path), token);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});
