import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for browser clients (REFERENCE §5; https://fetch.spec.whatwg.org/#http-cors-protocol).
 * The default allows any origin: calls authenticate with a bearer token, not
 * a cookie, so a foreign page gains nothing it could not do without CORS.
 */
export interface CorsOptions {
  /** "*" for any origin, else the exact origins allowed (scheme://host[:port]). */
  readonly origins: '*' | readonly string[];
  readonly maxAgeSeconds: number;
}

const ALLOWED_HEADERS = ['content-type', 'authorization', 'x-grpc-web', 'x-user-agent', 'grpc-timeout', 'accept-language'];
const EXPOSED_HEADERS = 'grpc-status, grpc-message, grpc-status-details-bin, www-authenticate, allow';

export function originAllowed(origin: string | undefined, options: CorsOptions): origin is string {
  return origin !== undefined && (options.origins === '*' || options.origins.includes(origin));
}

/** Adds the CORS headers of an actual request; none for a disallowed origin. */
export function corsApply(request: IncomingMessage, response: ServerResponse, options: CorsOptions): void {
  const origin = request.headers.origin;
  if (!originAllowed(origin, options)) return;
  response.setHeader('access-control-allow-origin', origin);
  response.setHeader('access-control-allow-credentials', 'true');
  response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  response.setHeader('vary', 'Origin');
}

/**
 * Answers a preflight. `methods` are those the path accepts; an empty list
 * (unknown path) or a disallowed origin gets no CORS headers, so the browser
 * refuses the call that would follow.
 */
export function corsPreflight(
  request: IncomingMessage,
  response: ServerResponse,
  options: CorsOptions,
  methods: readonly string[],
): void {
  const origin = request.headers.origin;
  response.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  if (originAllowed(origin, options) && methods.length > 0) {
    const requested = String(request.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h));
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('access-control-allow-credentials', 'true');
    response.setHeader('access-control-allow-methods', [...methods, 'OPTIONS'].join(', '));
    response.setHeader('access-control-allow-headers', [...new Set([...ALLOWED_HEADERS, ...requested])].join(', '));
    response.setHeader('access-control-max-age', String(options.maxAgeSeconds));
  }
  response.writeHead(204).end();
}
