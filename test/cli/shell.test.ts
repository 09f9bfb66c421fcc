import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { runShell } from '../../src/cli/commands/shell.js';
import { createCliContext } from '../../src/cli/create-context.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { CapturedStream, FAILING_LAUNCHER } from './cli-harness.js';

function shellContext(home: string) {
  const stdout = new CapturedStream();
  const stderr = new CapturedStream();
  const ctx = createCliContext({
    env: { TEND_HOME: home },
    cwd: home,
    stdout,
    stderr,
    launcher: FAILING_LAUNCHER,
  });
  return { ctx, stdout, stderr };
}

test('the shell runs each line in-process; an error ends only its command; `exit` quits', async (t) => {
  const home = makeTempHome(t);
  const { ctx, stdout, stderr } = shellContext(home);
  const input = new PassThrough();
  const output = new PassThrough();
  output.resume();
  const done = runShell(ctx, input, output);
  input.write('frobnicate\n');
  input.write('tend stop "bad name"\n');
  input.write("start 'unclosed\n");
  input.write('\n');
  input.write('help stop\n');
  input.write('shell\n');
  input.write('daemon\n');
  input.write('exit\n');
  input.write('help\n');
  assert.equal(await done, 2, 'the exit code of the last command, `daemon`');
  const errors = stderr.text.trimEnd().split('\n');
  assert.equal(errors.length, 5, stderr.text);
  assert.match(errors[0] ?? '', /^tend: Unknown command "frobnicate"/);
  assert.match(errors[1] ?? '', /^tend: Expected a program name/);
  assert.match(errors[2] ?? '', /^tend: Expected a closing '/);
  assert.match(errors[3] ?? '', /^tend: Already in `tend shell`/);
  assert.match(errors[4] ?? '', /not inside `tend shell`/);
  assert.match(stdout.text, /Usage: tend stop <name\.\.\.\|all>/);
  assert.doesNotMatch(stdout.text, /Commands:/, 'nothing runs after exit');
});

test('the end of input (Ctrl-D) ends the shell', async (t) => {
  const home = makeTempHome(t);
  const { ctx, stdout } = shellContext(home);
  const input = new PassThrough();
  const output = new PassThrough();
  output.resume();
  const done = runShell(ctx, input, output);
  input.end('frobnicate\n--version\n\n');
  assert.equal(await done, 0, 'the exit code of the last command, `--version`');
  assert.match(stdout.text, /^\d+\.\d+\.\d+\n$/);
});
