import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** A few lines on the machine and the versions under test, for the head of a results file. */
export function describeMachine(): string[] {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `machine: ${availableParallelism()} CPUs (${model}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Linux ${release()}`,
    `load average at start: ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')} (other work on the machine adds noise; compare ratios within one run)`,
    `node ${process.version}, pm2 ${packageVersion(join(REPO_ROOT, 'node_modules', 'pm2'))}, tend ${packageVersion(REPO_ROOT)} at ${gitCommit()}`,
  ];
}

function packageVersion(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const isDirty = git(['status', '--porcelain', '--', 'src', 'bin']) !== '';
    return `${git(['rev-parse', '--short', 'HEAD'])}${isDirty ? ' (with uncommitted changes in src/)' : ''}`;
  } catch {
    return 'unknown commit';
  }
}
