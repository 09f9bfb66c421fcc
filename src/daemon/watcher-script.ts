/** The daemon's exit code after an uncaught error (EX_SOFTWARE): its watcher starts it again. */
export const EXIT_CRASHED = 70;

/**
 * The watcher: a POSIX `sh` loop that is the parent of a background daemon and starts it again
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
 *   once; crashes within 10 s of the start are paced (1, 2, 4… up to 30 s) and counted.
 * - Any other status (0: a requested stop; a start-up failure; another daemon holds the home):
 *   the watcher exits with it, so that a requested stop never comes back.
 * - SIGTERM: passed to the daemon (which stops everything), then the watcher exits. SIGHUP and
 *   SIGINT (a closed terminal, a stray ^C) are ignored.
 * - The next daemon learns why it was started from TEND_WATCHER_RESTART, and that a watcher
 *   is its parent from TEND_WATCHER (the watcher's pid).
 */
export const WATCHER_SCRIPT = `
trap '' HUP INT
stop=0
reload=0
pid=
trap 'stop=1; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null' TERM
trap 'reload=1' USR1
TEND_WATCHER=$$
export TEND_WATCHER
crashes=0
delay=0
started=$(date +%s)
"$@" &
pid=$!
exec 3>&-
while :; do
  wait "$pid"
  status=$?
  if [ "$reload" = 1 ]; then
    reload=0
    old=$pid
    TEND_WATCHER_RESTART="reload $(date +%s) 75 0"
    TEND_TAKE_OVER=$old
    export TEND_WATCHER_RESTART TEND_TAKE_OVER
    started=$(date +%s)
    "$@" &
    pid=$!
    unset TEND_WATCHER_RESTART TEND_TAKE_OVER
    wait "$old"
    continue
  fi
  while kill -0 "$pid" 2>/dev/null; do wait "$pid"; status=$?; done
  [ "$stop" = 1 ] && exit "$status"
  now=$(date +%s)
  if [ "$status" -eq 75 ]; then
    reason=reload
    crashes=0
    delay=0
  elif [ "$status" -eq 70 ] || [ "$status" -gt 128 ]; then
    reason=crash
    if [ $((now - started)) -ge 10 ]; then
      crashes=1
      delay=0
    else
      crashes=$((crashes + 1))
      if [ "$crashes" -gt 1 ]; then delay=$((delay == 0 ? 1 : (delay * 2 > 30 ? 30 : delay * 2))); fi
    fi
    echo "tend watcher: the daemon (pid $pid) ended with status $status at $(date -u +%Y-%m-%dT%H:%M:%SZ) ($crashes in a row); starting it again in \${delay}s"
  else
    exit "$status"
  fi
  TEND_WATCHER_RESTART="$reason $now $status $crashes"
  export TEND_WATCHER_RESTART
  [ "$delay" -gt 0 ] && sleep "$delay"
  [ "$stop" = 1 ] && exit "$status"
  started=$(date +%s)
  "$@" &
  pid=$!
done
`;

/** The command line that runs `daemon` (node, its arguments) under a watcher. */
export function watchedCommand(daemon: { file: string; args: readonly string[] }): {
  file: string;
  args: string[];
} {
  return {
    file: '/bin/sh',
    args: ['-c', WATCHER_SCRIPT, 'tend-watcher', daemon.file, ...daemon.args],
  };
}
