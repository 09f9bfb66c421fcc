import type { ClientTimeouts, ProxySettings } from '../proxy-options.js';
import type { TaskRouter } from '../tasks/task-router.js';
import type { UpstreamRegistry } from '../upstream-registry.js';

/** What every connection and exchange of the HTTP proxy shares: settings (read at use, so a reconfigure applies), the pool, shutdown state. */
export interface HttpProxyContext {
  readonly settings: ProxySettings;
  readonly registry: UpstreamRegistry;
  /** Set on shutdown: responses then close their connection. */
  readonly isDraining: boolean;
  /** How long a client may be silent, or take to send a head. */
  readonly clientTimeouts: ClientTimeouts;
  /** Set for a task program's pool: every request goes through it (`/<pool>/new`, `/<pool>/<id>`…) instead of the balancer. */
  readonly tasks: TaskRouter | undefined;
}
