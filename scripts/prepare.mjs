// `npm install`'s build (the prepare script), and `npm start`'s: runs `npm run build` unless dist/
// was built from the sources as they are. Why: `npx tend` in a clone installs the project itself
// into npx's cache, which runs prepare again; a full rebuild there made the first `npx tend` take
// 20–30 s, and `npm start` right after `npm install` rebuilt too (44 s before the demo answered).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Written once a build made here succeeded; its time is the build's. */
const STAMP = join(ROOT, 'dist', '.built');
const SOURCES = [
  'src',
  'dashboard',
  'scripts',
  'bin',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
];

/** The latest modification time of a file, or of any file under a folder. */
function newestMtime(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

const built = statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const sources = Math.max(...SOURCES.map((source) => newestMtime(join(ROOT, source))));
if (built > sources) {
  process.stdout.write('tend: dist/ is built from the current sources; not building again\n');
} else {
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}
