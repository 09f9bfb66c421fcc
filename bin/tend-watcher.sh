#!/bin/sh
# tend's watcher: the parent of a background daemon, which it starts again when it crashes.
# Usage: tend-watcher.sh <daemon command line>. What it does and why: src/cli/watcher-command.ts.
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
# A run shorter than this (seconds) that ends in a crash counts towards a crash loop (tests set 0).
stable=${TEND_WATCHER_STABLE_SECONDS:-10}
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
    if [ $((now - started)) -ge "$stable" ]; then
      crashes=1
      delay=0
    else
      crashes=$((crashes + 1))
      if [ "$crashes" -gt 1 ]; then delay=$((delay == 0 ? 1 : (delay * 2 > 30 ? 30 : delay * 2))); fi
    fi
    echo "tend watcher: the daemon (pid $pid) ended with status $status at $(date -u +%Y-%m-%dT%H:%M:%SZ) ($crashes in a row); starting it again in ${delay}s"
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
