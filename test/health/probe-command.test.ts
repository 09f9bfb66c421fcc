import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TendError } from '../../src/errors.js';
import { checkProbeCommands } from '../../src/health/probe-command.js';
import { makeTempHome } from '../helpers/temp-home.js';

function notFound(message: RegExp) {
  return (error: unknown) =>
    error instanceof TendError &&
    error.code === 'TEND_ERR_PROBE_COMMAND_NOT_FOUND' &&
    message.test(error.message);
}

test('an exec probe command is looked up like the program: relative to cwd, else through its PATH', (t) => {
  const home = makeTempHome(t);
  const bin = join(home, 'bin');
  mkdirSync(bin);
  writeFileSync(join(home, 'check'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(home, 'check'), 0o755);
  writeFileSync(join(bin, 'probe-me'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(bin, 'probe-me'), 0o755);
  writeFileSync(join(home, 'plain'), 'not executable\n');
  const env = { PATH: bin };
  checkProbeCommands({ cwd: home, env, livenessProbe: { kind: 'exec', command: './check' } });
  checkProbeCommands({ cwd: home, env, readinessProbe: { kind: 'exec', command: 'probe-me' } });
  // A shell line, and probes of other kinds, are not looked up.
  checkProbeCommands({
    cwd: home,
    env,
    startupProbe: { kind: 'exec', command: 'x | y', shell: true },
  });
  checkProbeCommands({ cwd: home, env, startupProbe: { kind: 'http' } });
  assert.throws(
    () =>
      checkProbeCommands({ cwd: home, env, livenessProbe: { kind: 'exec', command: './nope' } }),
    notFound(
      /`livenessProbe\.command` to be a program that can run, got "\.\/nope": \/.*\/nope does not exist/,
    ),
  );
  assert.throws(
    () => checkProbeCommands({ cwd: home, env, startupProbe: { kind: 'exec', command: 'nope' } }),
    notFound(/"nope": it does not exist in the program's PATH \(.*\/bin\)/),
  );
  assert.throws(
    () =>
      checkProbeCommands({ cwd: home, env, readinessProbe: { kind: 'exec', command: './plain' } }),
    notFound(/plain is not executable/),
  );
});
