import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log';

/**
 * grpc-js writes its own diagnostics with console.error, and some of them
 * quote request headers: a header value it cannot take as metadata (a token
 * pasted with a non-breaking space, a tab, a trailing "é") is logged as
 * "Failed to add metadata entry authorization: Bearer <the token>".
 * Its lines go through the service's logger instead, with every header value
 * withheld, so the structured log is the only output and never holds a secret.
 */
export function routeGrpcLibraryLogs(logger: Logger): void {
  const library = logger.child({ source: 'grpc-js' });
  const write =
    (level: 'error' | 'info' | 'debug') =>
    (message?: unknown, ...rest: unknown[]): void =>
      library[level](withholdSecrets(format(message, ...rest)));
  grpc.setLogger({ error: write('error'), info: write('info'), debug: write('debug') });
}

/** "Failed to add metadata entry <key>: <value>. <error naming the value again>. ..." */
const METADATA_ENTRY = /(Failed to add metadata entry [^:\s]*:)[\s\S]*$/;
/** A credential anywhere else: an authorization header's value, or what follows a scheme. */
const AUTHORIZATION = /(authorization["']?\s*[:=]\s*)[^\r\n]*/gi;
const SCHEME = /\b(bearer|basic)\s+\S+/gi;

/** The text with header values and credentials replaced by "[withheld]". */
export function withholdSecrets(text: string): string {
  return text
    .replace(METADATA_ENTRY, '$1 [withheld]')
    .replace(AUTHORIZATION, '$1[withheld]')
    .replace(SCHEME, '$1 [withheld]');
}
