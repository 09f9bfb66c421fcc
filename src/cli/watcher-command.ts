import { fileURLToPath } from 'node:url';

/** The daemon's exit code after an uncaught error (EX_SOFTWARE): its watcher starts it again. */
export const EXIT_CRASHED = 70;

/**
 * The watcher (`bin/tend-watcher.sh`): a POSIX `sh` loop that is the parent of a background daemon and starts it again
 * when it dies, so that the daemon comes back within a second of a crash with no CLI call and
 * no systemd. It is `sh` rather than Node because it must cost next to nothing (about 1 MiB of
 * RSS, most of it shared) and never crash itself.
 *
 * - Arguments: the daemon's command line. fd 3 is the starter's notify pipe: given to the first
 *   daemon only, then closed.
 * - SIGUSR1 (sent by the daemon for `tend daemon reload`): a second daemon is started next to
 *   the first, from the code installed now, with TEND_TAKE_OVER=<old pid>; once loaded it asks
 *   the old one to hand over, and the watcher follows the new one.
 * - Status 75 (a daemon that handed over with no new one started): started again at once.
 * - Killed by a signal (status > 128) or 70 (an uncaught error): a crash, started again at
 *   once; crashes within 10 s of the start (TEND_WATCHER_STABLE_SECONDS) are paced (1, 2, 4…
 *   up to 30 s) and counted.
 * - Any other status (0: a requested stop; a start-up failure; another daemon holds the home):
 *   the watcher exits with it, so that a requested stop never comes back.
 * - SIGTERM: passed to the daemon (which stops everything), then the watcher exits. SIGHUP and
 *   SIGINT (a closed terminal, a stray ^C) are ignored.
 * - The next daemon learns why it was started from TEND_WATCHER_RESTART, and that a watcher
 *   is its parent from TEND_WATCHER (the watcher's pid).
 *
 * A file rather than `sh -c <script>`, so that `ps` shows `/bin/sh …/tend-watcher.sh node
 * …/tend.js daemon`, which says what it is.
 */

/** The watcher script, shipped next to the CLI's entry point. */
export const WATCHER_SCRIPT_PATH = fileURLToPath(
  new URL('../../../bin/tend-watcher.sh', import.meta.url),
);

/** The command line that runs `daemon` (node, its arguments) under a watcher: `sh …/tend-watcher.sh node …`. */
export function watchedCommand(daemon: { file: string; args: readonly string[] }): {
  file: string;
  args: string[];
} {
  return { file: '/bin/sh', args: [WATCHER_SCRIPT_PATH, daemon.file, ...daemon.args] };
}
