#!/usr/bin/env node
// The `tend` command. It runs the built CLI in dist/, so no TypeScript is compiled per call.
let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('cli/main.js')) {
    process.stderr.write('tend: the CLI is not built; run `npm run build` in the tend folder\n');
    process.exit(1);
  }
  throw error;
}
process.exit(await cli.runCli(process.argv.slice(2)));
