/** What a request on a task program's proxy port asks for, read from its target. */
export type TaskTarget =
  /** `/<pool>/new`: allocate a task (WebSocket upgrade or POST). */
  | { kind: 'new'; query: URLSearchParams }
  /** `/<pool>/allocate`: lease a free instance (the dispatcher). */
  | { kind: 'allocate'; query: URLSearchParams }
  /** `/<pool>/leases/<lease>/release` or `…/renew`; `action` is null for any other path under `/<pool>/leases`. */
  | { kind: 'lease'; leaseId: string; action: LeaseAction | null; query: URLSearchParams }
  /** `/<pool>/<id>[/rest]`: an existing task; `path` is what the task sees (the prefix stripped, `/` at least). */
  | { kind: 'task'; id: string; path: string; query: URLSearchParams }
  /** Anything outside `/<pool>/`. */
  | { kind: 'none' };

/** What a client may do to a lease through the proxy port, as the API's `…/leases/:lease/<action>`. */
export type LeaseAction = 'release' | 'renew';

const LEASE_ACTIONS: readonly string[] = ['release', 'renew'];

/** Parameters tend reads from a task route's query and never passes on to the task. */
const OWN_PARAMETERS = ['token', 'owner'];

/** Splits a request target into the route it names under `/<pool>/`. */
export function parseTaskTarget(target: string, pool: string): TaskTarget {
  const queryStart = target.indexOf('?');
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1));
  const prefix = `/${pool}/`;
  if (!path.startsWith(prefix)) return { kind: 'none' };
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  const segment = slash === -1 ? rest : rest.slice(0, slash);
  if (segment === 'new' && slash === -1) return { kind: 'new', query };
  if (segment === 'allocate' && slash === -1) return { kind: 'allocate', query };
  if (segment === 'leases') {
    const [leaseId = '', action, ...extra] = slash === -1 ? [] : rest.slice(slash + 1).split('/');
    const isAction = action !== undefined && extra.length === 0 && LEASE_ACTIONS.includes(action);
    return {
      kind: 'lease',
      leaseId,
      action: isAction ? (action as LeaseAction) : null,
      query,
    };
  }
  return { kind: 'task', id: segment, path: slash === -1 ? '/' : rest.slice(slash), query };
}

/** The target to send a task: its path and the query without tend's own parameters. */
export function upstreamTarget(path: string, query: URLSearchParams): string {
  const kept = new URLSearchParams(query);
  for (const name of OWN_PARAMETERS) kept.delete(name);
  const text = kept.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** `forwardHead` with its request line's target replaced. */
export function withTarget(forwardHead: string, method: string, target: string): string {
  const lineEnd = forwardHead.indexOf('\r\n');
  const version = forwardHead.slice(forwardHead.lastIndexOf(' ', lineEnd) + 1, lineEnd);
  return `${method} ${target} ${version}${forwardHead.slice(lineEnd)}`;
}
