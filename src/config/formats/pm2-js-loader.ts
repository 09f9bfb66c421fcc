import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { formatDuration } from '../human-units.js';
import { foreignError } from './foreign-config.js';

/** How long a JavaScript ecosystem file may run before it is killed. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 10_000;

/** Most bytes of the exported value taken back from the child. */
const MAX_EXPORT_BYTES = 16 * 1024 * 1024;

/**
 * Run in the child, as an ES module (so that no CommonJS `module` global leaks into the file):
 * loads the file as PM2 users write it (CommonJS through require, ES modules through import,
 * whichever the file and its package.json make it; a CommonJS file inside a `"type": "module"`
 * package, which PM2 fails on, is compiled as CommonJS), and writes the exported value, or the
 * error, as JSON on fd 3, so that the file's own console output does not mix in.
 */
const LOADER = `
import { readFileSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
const file = process.argv[1];
// node -e puts module, require and exports on globalThis even for ES module input.
for (const name of ['module', 'require', 'exports', '__filename', '__dirname']) delete globalThis[name];
const send = (message) => { writeSync(3, JSON.stringify(message)); process.exit(0); };
const asCommonJs = () => {
  const loaded = new Module(file);
  loaded.filename = file;
  loaded.paths = Module._nodeModulePaths(dirname(file));
  loaded._compile(readFileSync(file, 'utf8'), file);
  return loaded.exports;
};
const load = async () => {
  if (file.endsWith('.mjs')) return import(pathToFileURL(file).href);
  try {
    return createRequire(file)(file);
  } catch (error) {
    if (error?.code !== 'ERR_REQUIRE_ESM' && error?.code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    return import(pathToFileURL(file).href);
  }
};
try {
  let value;
  try {
    value = await load();
  } catch (error) {
    const isCommonJsInEsm = error instanceof ReferenceError && /\\b(module|require|exports) is not defined in ES module scope/.test(error.message);
    if (!isCommonJsInEsm || file.endsWith('.mjs')) throw error;
    value = asCommonJs();
  }
  if (value && Object.prototype.toString.call(value) === '[object Module]') {
    value = 'default' in value ? value.default : { ...value };
  }
  send({ value: value === undefined ? null : value, type: value === null || value === undefined ? 'null' : Array.isArray(value) ? 'array' : typeof value });
} catch (error) {
  send({ error: error instanceof Error ? (error.stack || error.message) : String(error) });
}
`;

/**
 * The value a JavaScript ecosystem file exports (`module.exports`, `export default`, or its named
 * exports such as `export const apps`). The file is code: it runs in a separate Node process
 * (never in tend's), in its own folder, and is killed after `timeoutMs`.
 */
export function loadJavaScriptConfig(
  file: string,
  timeoutMs = DEFAULT_SCRIPT_TIMEOUT_MS,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOADER, file], {
      cwd: dirname(file),
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    const fail = (message: string) =>
      reject(foreignError('TEND_ERR_CONFIG_IMPORT_JS_FAILED', file, undefined, message));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(
        `Expected the ecosystem file to finish loading within ${formatDuration(timeoutMs)}; it was stopped (does it loop, wait for something, or start a server when loaded?)`,
      );
    }, timeoutMs);
    const output: Buffer[] = [];
    let outputBytes = 0;
    const stderr: Buffer[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes <= MAX_EXPORT_BYTES) output.push(chunk);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(`Expected to run it with ${process.execPath}: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') return; // the timer's own kill, already reported
      const text = Buffer.concat(output).toString('utf8');
      if (text === '') {
        const detail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-3);
        fail(
          `Expected the ecosystem file to load; its process ended (${signal ?? `exit code ${code}`}) before exporting anything${detail.length > 0 && detail[0] !== '' ? `: ${detail.join(' / ')}` : ''}`,
        );
        return;
      }
      let message: { value?: unknown; type?: string; error?: string };
      try {
        message = JSON.parse(text) as typeof message;
      } catch {
        fail(`Expected the exported value to be plain data (objects, arrays, strings, numbers)`);
        return;
      }
      if (message.error !== undefined) {
        const [first, ...stack] = message.error.split('\n');
        const at = stack.find((line) => line.includes(file))?.trim();
        fail(
          `Expected the ecosystem file to load without error; it threw ${first}${at ? ` (${at})` : ''}`,
        );
        return;
      }
      if (message.type !== 'object' && message.type !== 'array') {
        fail(
          `Expected the ecosystem file to export an object such as \`module.exports = { apps: [...] }\`, got ${message.type === 'null' ? 'nothing' : `a ${message.type}`}`,
        );
        return;
      }
      resolve(message.value);
    });
  });
}
