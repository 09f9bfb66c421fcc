import type { ProxySettings } from '../proxy-options.js';
import type { UpstreamRegistry } from '../upstream-registry.js';

/** What every connection and exchange of the HTTP proxy shares: settings (read at use, so a reconfigure applies), the pool, shutdown state. */
export interface HttpProxyContext {
  readonly settings: ProxySettings;
  readonly registry: UpstreamRegistry;
  /** Set on shutdown: responses then close their connection. */
  readonly isDraining: boolean;
}
