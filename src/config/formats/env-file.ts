import { parseEnvFile as checkEnvFile } from '../tend-file/env-file.js';
import { foreignError } from './foreign-config.js';

/**
 * Parses a `.env` file beside a Procfile with the one dotenv checker (tend-file/env-file.ts);
 * its first problem is the error, naming the file, the line and the column.
 */
export function parseEnvFile(file: string, text: string): Record<string, string> {
  const { values, problems } = checkEnvFile(text);
  const problem = problems[0];
  if (problem !== undefined) {
    const { line, col } = problem.position;
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_SYNTAX',
      file,
      `line ${line}, column ${col}`,
      `${problem.message.charAt(0).toUpperCase()}${problem.message.slice(1)}`,
    );
  }
  return values;
}
