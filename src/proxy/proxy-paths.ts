import { fileURLToPath } from 'node:url';
import { isBundleCurrent } from '../bundle-entry.js';

/** The proxy's entry point as tsc emitted it, and its one-file bundle (scripts/bundle-proxy.ts). */
const PROXY_MODULE_PATH = fileURLToPath(new URL('./proxy-main.js', import.meta.url));
const PROXY_BUNDLE_PATH = fileURLToPath(new URL('./proxy-main.cjs', import.meta.url));
const WORKER_MODULE_PATH = fileURLToPath(new URL('./proxy-worker-main.js', import.meta.url));
const WORKER_BUNDLE_PATH = fileURLToPath(new URL('./proxy-worker-main.cjs', import.meta.url));

/** What the daemon runs as a pool's proxy: `node <PROXY_MAIN_PATH> <control-socket-path>`; the bundle when it is current. */
export const PROXY_MAIN_PATH = isBundleCurrent(PROXY_BUNDLE_PATH, PROXY_MODULE_PATH)
  ? PROXY_BUNDLE_PATH
  : PROXY_MODULE_PATH;

/** What the proxy's primary forks for each of `--proxy-workers`; the bundle when it is current. */
export const PROXY_WORKER_MAIN_PATH = isBundleCurrent(WORKER_BUNDLE_PATH, WORKER_MODULE_PATH)
  ? WORKER_BUNDLE_PATH
  : WORKER_MODULE_PATH;

/** What the proxy process prints on stdout, alone on a line, once its control socket listens. */
export const PROXY_READY_LINE = 'tend-proxy: control socket ready';
