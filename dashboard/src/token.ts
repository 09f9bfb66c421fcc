const STORAGE_KEY = 'tend.token';

/**
 * The API token: taken from the URL's fragment (`#token=…`, which browsers never send to a
 * server), kept in sessionStorage for this tab, and removed from the address bar and history.
 */
export function takeToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(STORAGE_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(STORAGE_KEY);
}

/** Drops a token the daemon refused, so a reload does not send it again. */
export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
