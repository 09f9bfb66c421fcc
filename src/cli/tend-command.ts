import { fileURLToPath } from 'node:url';

/** How to run this very tend again: this Node and this package's bin/tend.js, whatever PATH holds. */
export function tendCommand(): { node: string; bin: string } {
  return {
    node: process.execPath,
    bin: fileURLToPath(new URL('../../../bin/tend.js', import.meta.url)),
  };
}
