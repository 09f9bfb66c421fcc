import { raiseOpenFileLimit } from './open-file-limit.js';
import { PROXY_READY_LINE } from './proxy-paths.js';
import { runProxy } from './proxy-process.js';

/** Entry point of the proxy process: `node dist/src/proxy/proxy-main.js <control-socket-path>`. */
async function main(): Promise<void> {
  const socketPath = process.argv[2];
  if (socketPath === undefined || socketPath === '') {
    process.stderr.write('Usage: node proxy-main.js <control-socket-path>\n');
    process.exit(2);
  }
  // Before any worker is forked: workers inherit the limit.
  raiseOpenFileLimit((line) => process.stderr.write(`${line}\n`));
  const exit = (code: number): void => process.exit(code);
  let proxy: Awaited<ReturnType<typeof runProxy>>;
  try {
    proxy = await runProxy(socketPath, exit);
  } catch (error) {
    process.stderr.write(`tend proxy: ${(error as Error).message}\n`);
    process.exit(1);
  }
  // One line on stdout tells a supervisor that the control socket accepts connections.
  process.stdout.write(`${PROXY_READY_LINE}\n`);
  const onSignal = (): void => {
    void proxy.shutdown().then(() => exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

void main();
