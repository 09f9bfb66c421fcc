import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../config/daemon-node-flags.js';

/** How to run this very tend again: this Node and this package's bin/tend.js, whatever PATH holds. */
export function tendCommand(): { node: string; bin: string } {
  return {
    node: process.execPath,
    bin: fileURLToPath(new URL('../../../bin/tend.js', import.meta.url)),
  };
}

/** How to run this tend's daemon: this Node with the daemon's flags, bin/tend.js, `daemon`. */
export function daemonCommand(): { file: string; args: string[] } {
  const { node, bin } = tendCommand();
  return { file: node, args: [...DAEMON_NODE_FLAGS, bin, 'daemon'] };
}
