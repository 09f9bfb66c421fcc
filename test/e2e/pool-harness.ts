import type { ProgramDetail } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, type TendUnderTest } from './harness.js';

/** What a pool started through the CLI was given: its first instance port and its proxy's port. */
export interface StartedPool {
  base: number;
  proxyPort: number;
  detail: ProgramDetail;
}

/** How to start a pool: its size and bound, the fixture it runs (with its arguments) and any other `start` flags. */
export interface PoolOptions {
  instances: number;
  /** `--max`: the port range is sized for it. */
  max?: number;
  fixture: [name: string, ...args: string[]];
  extra?: string[];
}

/**
 * Starts a pool behind its proxy through the CLI on free ports (the instances' range, room for
 * a few more, then the proxy's) and waits until every instance and the proxy are online.
 */
export async function startPool(
  tend: TendUnderTest,
  name: string,
  options: PoolOptions,
): Promise<StartedPool> {
  const size = options.max ?? options.instances;
  const base = await findFreePortRange(size + 4);
  const proxyPort = base + size + 3;
  const max = options.max === undefined ? [] : ['--max', String(options.max)];
  // biome-ignore format: one flag and its value a line
  await tend.ok([
    'start', '--name', name, '--instances', String(options.instances), '--port', String(base),
    '--proxy-port', String(proxyPort), ...max, ...(options.extra ?? []), '--', ...fixture(...options.fixture),
  ]);
  const detail = await untilPoolOnline(tend, name, options.instances);
  return { base, proxyPort, detail };
}

/** Waits until `count` instances of a pool are online and its proxy is too. */
export function untilPoolOnline(
  tend: TendUnderTest,
  name: string,
  count: number,
): Promise<ProgramDetail> {
  return tend.until(`${count} instances of ${name} online behind its proxy`, async () => {
    const detail = await tend.program(name);
    const online = detail.instances.filter((instance) => instance.status === 'online');
    return online.length === count && detail.proxy?.status === 'online' ? detail : undefined;
  });
}

/** Waits until a pool's proxy is online and fed `count` instances by the daemon (and, if asked, sees them all ready). */
export function untilProxyFed(
  tend: TendUnderTest,
  name: string,
  count: number,
  options: { isReadyNeeded?: boolean } = {},
): Promise<ProgramDetail> {
  return tend.until(`the proxy of ${name} online and fed ${count} instances`, async () => {
    const detail = await tend.program(name);
    const fed = detail.proxy?.status === 'online' ? detail.proxy.instances : [];
    const isReady = !options.isReadyNeeded || fed.every((instance) => instance.isReady);
    return fed.length === count && isReady ? detail : undefined;
  });
}
