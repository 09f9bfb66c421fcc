/**
 * Node's flags for the daemon, on every command line that starts it (the CLI's launcher, the
 * watcher's restarts, a reload's new daemon, the systemd unit). None today: a young generation
 * capped at 1 MiB per semi-space (`--max-semi-space-size=1`, Node's default is 16) kept the daemon
 * about 12 MiB smaller under restart churn (94 -> 82 MiB) but cost CPU per restart (more
 * scavenges: 1.26x PM2's against 1.09x without it in one run of bench/restart-cpu.ts), and the
 * CPU target is the nearer one (bench/RESULTS.md, "Cost less").
 */
export const DAEMON_NODE_FLAGS: readonly string[] = [];
