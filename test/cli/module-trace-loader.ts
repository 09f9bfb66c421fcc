/**
 * A module loader hook for the start-up test: appends every module URL that is loaded to the
 * file named by TEND_TRACE_MODULES, so a test can see what `tend ls` loads.
 */
import { appendFileSync } from 'node:fs';

type NextLoad = (url: string, context: unknown) => Promise<unknown>;

/** Records the URL, then loads it as usual. */
export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<unknown> {
  const traceFile = process.env.TEND_TRACE_MODULES;
  if (traceFile) appendFileSync(traceFile, `${url}\n`);
  return nextLoad(url, context);
}
