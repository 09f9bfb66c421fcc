import { readFileSync } from 'node:fs';
import {
  DAEMON_SETTINGS_DEFAULTS,
  type DaemonSettings,
  DaemonSettingsSchema,
} from '../config/daemon-settings.js';
import { describeIssues } from '../config/program-spec.js';
import { replaceFileAtomicSync } from './atomic-write.js';

/** What was read from a settings file: the settings, and why they are the defaults when the file was unusable. */
export interface LoadedSettings {
  settings: DaemonSettings;
  problem: string | null;
}

/** Reads `$TEND_HOME/settings.json`; a missing file means the defaults, an unusable one the defaults and a problem. */
export function loadSettings(path: string): LoadedSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { settings: DAEMON_SETTINGS_DEFAULTS, problem: null };
    }
    return { settings: DAEMON_SETTINGS_DEFAULTS, problem: `${path}: ${(error as Error).message}` };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return {
      settings: DAEMON_SETTINGS_DEFAULTS,
      problem: `${path} is not valid JSON (${(error as Error).message}); using the defaults`,
    };
  }
  const parsed = DaemonSettingsSchema.safeParse(document);
  if (!parsed.success) {
    return {
      settings: DAEMON_SETTINGS_DEFAULTS,
      problem: `${path} is not valid (${describeIssues(parsed.error)}); using the defaults`,
    };
  }
  return { settings: parsed.data, problem: null };
}

/** Writes the settings atomically (mode 0600): a crash leaves the old file or the new one. */
export function saveSettings(path: string, settings: DaemonSettings): void {
  replaceFileAtomicSync(path, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
}
