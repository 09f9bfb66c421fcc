import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { findCommand } from '../../src/cli/command-table.js';
import { parseScaleAmount } from '../../src/cli/commands/scale.js';
import { hasFlag, readCommandArgs } from '../../src/cli/parse-args.js';
import { TendError } from '../../src/errors.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { runTend } from './cli-harness.js';

const SCALE = findCommand('scale');

/** A usage error with this code whose message matches, or (a string) is, `message`. */
function isUsageError(code: string, message: RegExp | string) {
  return (error: unknown) => {
    assert.ok(error instanceof TendError, `a TendError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    assert.equal(error.exitCode, 2);
    return true;
  };
}

test('parseScaleAmount: N sets the size, +N and -N change it', () => {
  assert.deepEqual(parseScaleAmount('5'), { to: 5 });
  assert.deepEqual(parseScaleAmount('+1'), { by: 1 });
  assert.deepEqual(parseScaleAmount('-2'), { by: -2 });
  assert.deepEqual(
    parseScaleAmount('0'),
    { to: 0 },
    'the daemon, which knows the bounds, refuses it',
  );
  assert.deepEqual(parseScaleAmount('+007'), { by: 7 });
});

test('parseScaleAmount: anything but a whole number with an optional sign is a usage error', () => {
  for (const text of [
    'abc',
    '',
    '+',
    '-',
    '2.5',
    '1e3',
    ' 5',
    '5 ',
    '++1',
    '+-1',
    '0x10',
    '1234567',
  ]) {
    assert.throws(
      () => parseScaleAmount(text),
      isUsageError(
        'TEND_ERR_USAGE_INVALID_ARGUMENT',
        `Expected a pool size such as 5, +1 or -2, got ${JSON.stringify(text)}`,
      ),
      JSON.stringify(text),
    );
  }
});

test('tend scale web -2: -2 is the amount, not an option; other dashed words still are options', async () => {
  assert.ok(SCALE);
  const args = await readCommandArgs(SCALE, ['web', '-2']);
  assert.deepEqual(args.positionals, ['web', '-2']);
  assert.equal(args.options.size, 0);
  const withJson = await readCommandArgs(SCALE, ['web', '-2', '--json']);
  assert.deepEqual(withJson.positionals, ['web', '-2']);
  assert.equal(hasFlag(withJson, 'json'), true);
  await assert.rejects(
    readCommandArgs(SCALE, ['web', '-x']),
    isUsageError('TEND_ERR_USAGE_UNKNOWN_OPTION', /-x/),
  );
  await assert.rejects(
    readCommandArgs(SCALE, ['web']),
    isUsageError('TEND_ERR_USAGE_MISSING_ARGUMENT', /<N\|\+N\|-N>/),
  );
});

/** A daemon stand-in on the home's socket that records scale requests and keeps a pool of 3 within 2..5. */
async function scaleApi(t: { after(fn: () => unknown): void }) {
  const home = makeTempHome(t, 'tend-scale-');
  const bodies: unknown[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = JSON.parse(text) as { to?: number; by?: number };
      bodies.push(body);
      const target = body.to ?? 3 + (body.by ?? 0);
      const bound = target > 5 ? 'max is 5' : target < 2 ? 'min is 2' : undefined;
      const [status, reply] = bound
        ? [
            409,
            {
              error: {
                code: 'TEND_ERR_SCALE_OUT_OF_BOUNDS',
                message: `cannot scale web to ${target}: ${bound}`,
              },
            },
          ]
        : [200, { name: 'web', size: target, url: request.url }];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply));
    });
  });
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(join(home, 'tend.sock'), resolve));
  return { home, bodies };
}

test('tend scale sends {to} or {by}, and a size past a bound exits 1 with the daemon message', async (t) => {
  const { home, bodies } = await scaleApi(t);
  const shrunk = await runTend(['scale', 'web', '-1', '--json'], home);
  assert.equal(shrunk.code, 0, shrunk.stderr);
  assert.deepEqual(JSON.parse(shrunk.stdout), {
    name: 'web',
    size: 2,
    url: '/v1/programs/web/scale',
  });
  assert.equal((await runTend(['scale', 'web', '5', '--json'], home)).code, 0);
  assert.equal((await runTend(['scale', 'web', '+1', '--json'], home)).code, 0);
  assert.deepEqual(bodies, [{ by: -1 }, { to: 5 }, { by: 1 }]);

  assert.deepEqual(await runTend(['scale', 'web', '6'], home), {
    code: 1,
    stdout: '',
    stderr: 'tend: cannot scale web to 6: max is 5\n',
  });
  assert.deepEqual(await runTend(['scale', 'web', '-2'], home), {
    code: 1,
    stdout: '',
    stderr: 'tend: cannot scale web to 1: min is 2\n',
  });
});

test('tend scale with a bad amount or name is a usage error and asks the daemon nothing', async (t) => {
  const { home, bodies } = await scaleApi(t);
  const bad = await runTend(['scale', 'web', 'abc'], home);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'tend: Expected a pool size such as 5, +1 or -2, got "abc"\n');
  const badName = await runTend(['scale', '../web', '2'], home);
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /program name/);
  assert.deepEqual(bodies, []);
});
