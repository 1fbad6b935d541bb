import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for browser clients (REFERENCE §5; https://fetch.spec.whatwg.org/#http-cors-protocol).
 *
 * Calls authenticate with a bearer token in the `authorization` header, never
 * with a cookie, so no answer grants credentials
 * (`access-control-allow-credentials`): a foreign page that is allowed to call
 * still needs a token of its own, and the default of any origin gives it
 * nothing it could not do from a script outside a browser. The `null` origin
 * (sandboxed frames, `file:` pages, some redirects) is never allowed: it
 * stands for no one in particular.
 */
export interface CorsOptions {
  /** "*" for any origin, else the exact origins allowed (scheme://host[:port]). */
  readonly origins: '*' | readonly string[];
  readonly maxAgeSeconds: number;
  /** Request headers allowed beside the ones the protocols need, lower case (custom metadata). */
  readonly allowedHeaders?: readonly string[];
}

/**
 * The request headers gRPC-Web, Connect and REST clients send (connect-es's
 * cors.allowedHeaders among them): nothing a preflight asks beyond these is
 * granted. Browsers compress nothing themselves; the encoding headers are for
 * clients that do.
 */
export const PROTOCOL_REQUEST_HEADERS: readonly string[] = [
  'authorization',
  'content-type',
  'x-grpc-web',
  'x-user-agent',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'connect-protocol-version',
  'connect-timeout-ms',
  'content-encoding',
  'connect-content-encoding',
  'connect-accept-encoding',
  'accept-language',
];
/** What clients read from an answer: gRPC-Web's status, the encodings, and the refusals' hints. */
const EXPOSED_HEADERS =
  'grpc-status, grpc-message, grpc-status-details-bin, grpc-encoding, content-encoding, connect-content-encoding, grpc-accept-encoding, accept-encoding, www-authenticate, allow';

/** A serialized origin (scheme://host[:port]); "null" and anything else is not one. */
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+$/i;

export function originAllowed(origin: string | undefined, options: CorsOptions): origin is string {
  if (origin === undefined || !ORIGIN.test(origin)) return false;
  return options.origins === '*' || options.origins.includes(origin);
}

/** Adds the CORS headers of an actual request; none for a disallowed origin. */
export function corsApply(request: IncomingMessage, response: ServerResponse, options: CorsOptions): void {
  const origin = request.headers.origin;
  // The answer depends on the origin whenever it is reflected or withheld.
  response.setHeader('vary', 'Origin');
  if (!originAllowed(origin, options)) return;
  response.setHeader('access-control-allow-origin', origin);
  response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
}

/**
 * Answers a preflight. `methods` are those the path accepts; an empty list
 * (unknown path) or a disallowed origin gets no CORS headers, so the browser
 * refuses the call that would follow. The allowed headers are a fixed list,
 * never an echo of what was asked: a header outside it fails the preflight.
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
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('access-control-allow-methods', [...methods, 'OPTIONS'].join(', '));
    response.setHeader('access-control-allow-headers', allowedHeaders(options).join(', '));
    response.setHeader('access-control-max-age', String(options.maxAgeSeconds));
  }
  response.writeHead(204).end();
}

function allowedHeaders(options: CorsOptions): string[] {
  return [...new Set([...PROTOCOL_REQUEST_HEADERS, ...(options.allowedHeaders ?? [])])];
}
