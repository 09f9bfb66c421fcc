import { join } from 'node:path';
import type { LogStream } from './types.js';

/** Folder of the output FIFOs. */
export function runDirectory(home: string): string {
  return join(home, 'run');
}

/** Folder of a program's log files. */
export function programLogDirectory(home: string, name: string): string {
  return join(home, 'logs', name);
}

/** The FIFO an instance writes one stream into: `$TEND_HOME/run/<name>.<index>.<out|err>`. */
export function fifoPath(home: string, name: string, instance: number, stream: LogStream): string {
  return join(runDirectory(home), `${name}.${instance}.${stream}`);
}

/** The current log file of an instance's stream: `$TEND_HOME/logs/<name>/<index>.<out|err>.log`. */
export function logFilePath(
  home: string,
  name: string,
  instance: number,
  stream: LogStream,
): string {
  return join(programLogDirectory(home, name), `${instance}.${stream}.log`);
}

/** A log file's rotated generation: 0 is the current file, 1 the one before (`….log.1`), and so on. */
export function rotatedPath(path: string, generation: number): string {
  return generation === 0 ? path : `${path}.${generation}`;
}

/**
 * Where the unfinished last line read from a FIFO is kept, so that a daemon that follows (after a
 * crash or a hand-over) goes on with it instead of cutting the line: `<fifo>.partial`.
 */
export function partialLinePath(fifo: string): string {
  return `${fifo}.partial`;
}
