/**
 * What the CLI loads of tend.yaml handling, at run time and only when a command needs it (the
 * CLI's bundle leaves zod, yaml and dotenv out; see scripts/bundle-cli.ts).
 */
export { exportTendFile } from './export-tend-file.js';
export { tendFileJsonSchema } from './file-schema.js';
export { DEFAULT_CONFIG_FILE, type LoadedConfig, loadConfig } from './load-config.js';
