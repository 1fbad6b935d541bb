/**
 * Where the API is: the page's own origin, unless `?api=<origin>` names
 * another (the page hosted apart from the gateway; the gateway's
 * CORS_ORIGINS must then allow the page's origin). Only the origin of the
 * parameter is used, and only http(s). The token never goes into the URL.
 */
export function apiBaseFrom(location: Pick<Location, 'origin' | 'search'>): string {
  const requested = new URLSearchParams(location.search).get('api');
  if (requested) {
    try {
      const url = new URL(requested);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    } catch {
      // Not a URL: fall back to the page's own origin.
    }
  }
  return location.origin;
}
