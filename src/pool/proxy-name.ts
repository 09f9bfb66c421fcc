import { PROXY_NAME_SUFFIX } from '../config/program-name.js';

/** The name of a pool's proxy process: `web` → `web.proxy`. */
export function proxyProgramName(poolName: string): string {
  return `${poolName}${PROXY_NAME_SUFFIX}`;
}
