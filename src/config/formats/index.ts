import { closeSync, openSync, readSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  type ForeignConfig,
  type ForeignFormat,
  foreignError,
  type ReadForeignOptions,
} from './foreign-config.js';
import { readPm2Dump } from './pm2-dump.js';
import { readPm2Ecosystem } from './pm2-ecosystem.js';
import { readProcfile } from './procfile.js';
import { readSupervisordConfig } from './supervisord.js';

export {
  FOREIGN_FORMATS,
  type ForeignConfig,
  type ForeignFormat,
  type ProgramInput,
  type ReadForeignOptions,
} from './foreign-config.js';

/** How many bytes of a `.conf`/`.ini` file are looked at for a `[program:…]` section. */
const SNIFF_BYTES = 64 * 1024;

/**
 * The format of another tool's file, told by its name (and, for `.conf`/`.ini`, by a
 * `[program:…]` section in it), or null when it is none of them.
 */
export function detectForeignFormat(path: string): ForeignFormat | null {
  const name = basename(path);
  if (name === 'dump.pm2' || name.endsWith('.pm2')) return 'pm2-dump';
  if (/^ecosystem.*\.(js|cjs|mjs|json|ya?ml)$/.test(name) || /\.config\.(js|cjs|mjs)$/.test(name)) {
    return 'pm2';
  }
  if (/^Procfile/.test(name)) return 'procfile';
  if (name === 'supervisord.conf') return 'supervisord';
  if (/\.(conf|ini)$/.test(name) && hasProgramSection(path)) return 'supervisord';
  return null;
}

/**
 * Reads another tool's file into tend's program definitions (each checked with the program
 * schema; cwd absolute) and the warnings about what did not translate. Throws a TendError
 * naming the file, the place and what was expected. A `pm2` JavaScript file is run (in a
 * separate Node process, with a time limit).
 */
export function readForeignConfig(
  path: string,
  format: ForeignFormat,
  options: ReadForeignOptions = {},
): Promise<ForeignConfig> {
  const file = resolve(path);
  switch (format) {
    case 'pm2':
      return readPm2Ecosystem(file, options);
    case 'pm2-dump':
      return readPm2Dump(file, options);
    case 'procfile':
      return readProcfile(file, options);
    case 'supervisord':
      return readSupervisordConfig(file, options);
  }
}

/** The format of `path`, from its name, or an error saying which names are known. */
export function foreignFormatOf(path: string): ForeignFormat {
  const format = detectForeignFormat(path);
  if (format !== null) return format;
  throw foreignError(
    'TEND_ERR_CONFIG_IMPORT_UNREADABLE',
    path,
    undefined,
    'Expected a file named like ecosystem.config.js (.cjs, .mjs, .json, .yaml), *.config.js, dump.pm2, Procfile*, supervisord.conf, or a .conf/.ini with [program:…] sections; name the format instead (`tend import procfile <path>`)',
  );
}

function hasProgramSection(path: string): boolean {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const length = readSync(descriptor, buffer, 0, SNIFF_BYTES, 0);
    return /^\s*\[program:[^\]]+\]/m.test(buffer.subarray(0, length).toString('utf8'));
  } catch {
    return false;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
