import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempHome } from '../helpers/temp-home.js';

const TEND_BIN = fileURLToPath(new URL('../../../bin/tend.js', import.meta.url));
const run = promisify(execFile);

// Regression: the scripts called `tend`, which is not on the PATH when tend runs as `npx tend`.
test('the bash completion works where `tend` is not on the PATH: it runs the tend that printed it', async (t) => {
  const home = makeTempHome(t);
  // A PATH with bash but neither tend nor (possibly) node: the script must not look either up.
  const env = { PATH: '/usr/bin:/bin', TEND_HOME: home };
  const script = join(home, 'tend-completion.bash');
  const printed = await run(process.execPath, [TEND_BIN, 'completion', 'bash'], { env });
  writeFileSync(script, printed.stdout);
  const completed = await run(
    'bash',
    [
      '-c',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
      'source "$1"; COMP_WORDS=(tend st); COMP_CWORD=1; _tend_complete; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      script,
    ],
    { env, timeout: 10_000 },
  );
  assert.equal(completed.stdout, 'start\nstatus\nstop\nstartup\n');
});

test('the zsh completion runs the tend that printed it too, by absolute path', async (t) => {
  const home = makeTempHome(t);
  const printed = await run(process.execPath, [TEND_BIN, 'completion', 'zsh'], {
    env: { PATH: '/usr/bin:/bin', TEND_HOME: home },
  });
  assert.ok(
    printed.stdout.includes(`'${process.execPath}' '${TEND_BIN}' __complete --`),
    printed.stdout,
  );
});
