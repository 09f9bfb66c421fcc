import { z } from 'zod';
import type { ListenSetting } from './listen-address.js';

/** How a listener's address is stored (the ListenSetting the CLI parses without zod). */
export const ListenSettingSchema = z.strictObject({
  host: z.string().min(1).max(255),
  port: z.number().int().min(0).max(65_535),
  isPublic: z.boolean().default(false),
}) satisfies z.ZodType<ListenSetting>;

/** `$TEND_HOME/settings.json`: the daemon's settings that outlive it. */
export const DaemonSettingsSchema = z.strictObject({
  /** The TCP listener to open at start-up, or null for none. */
  listen: ListenSettingSchema.nullable().default(null),
});

/** The daemon's settings. */
export type DaemonSettings = z.output<typeof DaemonSettingsSchema>;

/** Settings of a home that has none saved. */
export const DAEMON_SETTINGS_DEFAULTS: DaemonSettings = { listen: null };
