import type { IncomingHttpHeaders } from 'node:http';

/**
 * Request headers that are not call metadata: hop-by-hop headers (RFC 9110
 * §7.6.1), HTTP framing, and what the gateway itself turns into something
 * else (content type, grpc-timeout, CORS, the gRPC-Web markers, Connect's
 * version and timeout, and the content coding the gateway has undone).
 */
const NOT_METADATA = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'accept',
  'accept-encoding',
  'expect',
  'origin',
  'referer',
  'user-agent',
  'x-grpc-web',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'connect-protocol-version',
  'connect-timeout-ms',
  'content-encoding',
  'access-control-request-method',
  'access-control-request-headers',
]);

/** The headers a call forwards as gRPC metadata (authorization, custom headers, x-user-agent ...). */
export function headersToMetadata(headers: IncomingHttpHeaders): Record<string, string> {
  const named = connectionNames(headers['connection']);
  const metadata: Record<string, string> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || NOT_METADATA.has(key) || named?.has(key) || key.startsWith(':') || key.startsWith('sec-')) continue;
    metadata[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return metadata;
}

/** What most clients send (or nothing): it names no header but keep-alive, which is never metadata anyway. */
const NAMES_NOTHING = /^\s*(keep-alive)?\s*$/i;

/** The headers a Connection header names as hop-by-hop; undefined when it names none worth a Set per request. */
function connectionNames(connection: string | string[] | undefined): ReadonlySet<string> | undefined {
  const value = String(connection ?? '');
  if (NAMES_NOTHING.test(value)) return undefined;
  return new Set(value.split(',').map((h) => h.trim().toLowerCase()));
}
