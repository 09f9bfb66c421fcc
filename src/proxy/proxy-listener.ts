import type { ProxySettings } from './proxy-options.js';

/** Where a listener is bound. */
export interface BoundAddress {
  host: string;
  port: number;
}

/** The proxy's current settings, read at use so that a reconfigure applies to what follows. */
export interface SettingsSource {
  readonly settings: ProxySettings;
}

/** The public side of the proxy, in either mode. */
export interface ProxyListener {
  /** Binds; rejects with the errno error (EADDRINUSE, EACCES, …) when it cannot. */
  listen(host: string, port: number): Promise<BoundAddress>;
  /** Stops accepting, lets in-flight work finish for up to `graceMs`, then closes every connection. */
  close(graceMs: number): Promise<void>;
}
