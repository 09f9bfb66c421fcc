import { fileURLToPath } from 'node:url';

/** The compiled proxy entry point; the daemon runs `node <PROXY_MAIN_PATH> <control-socket-path>`. */
export const PROXY_MAIN_PATH = fileURLToPath(new URL('./proxy-main.js', import.meta.url));

/** What the proxy process prints on stdout, alone on a line, once its control socket listens. */
export const PROXY_READY_LINE = 'tend-proxy: control socket ready';
