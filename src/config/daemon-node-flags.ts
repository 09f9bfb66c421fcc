/**
 * Node's flags for the daemon, on every command line that starts it (the CLI's launcher, the
 * watcher's restarts, a reload's new daemon, the systemd unit). A young generation of at most
 * 1 MiB per semi-space instead of Node's 16: under restart churn the daemon stayed about 12 MiB
 * smaller (94 -> 82 MiB), with no CPU cost per restart that the benchmark could see
 * (bench/RESULTS.md, "Cost less").
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
