import { readFileSync } from 'node:fs';

/** tend's version, from package.json (two levels above dist/src). */
export const TEND_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
