const KEY = 'oidc-settings.token';

/**
 * The bearer token, kept for this tab only: sessionStorage survives a reload
 * but not closing the tab, and is never sent anywhere by the browser. Where
 * storage is refused (some privacy modes) the token lives in memory.
 */
export class TokenStore {
  private memory: string | undefined;

  get(): string | undefined {
    try {
      return sessionStorage.getItem(KEY) ?? undefined;
    } catch {
      return this.memory;
    }
  }

  set(token: string): void {
    this.memory = token;
    try {
      sessionStorage.setItem(KEY, token);
    } catch {
      // Memory only.
    }
  }

  clear(): void {
    this.memory = undefined;
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // Nothing stored.
    }
  }
}
