import type http from 'node:http';
import type http2 from 'node:http2';

/** One request a server saw, and the head of its answer as the handler wrote it. */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly request: http.IncomingHttpHeaders;
  status?: number;
  /** Lower-case names. */
  response: Record<string, string | number | string[] | undefined>;
  /** The request body as far as the handler read it (empty when it read none). */
  body(): Buffer;
}

export interface HttpTap {
  readonly exchanges: Exchange[];
  /** The exchanges on this path (the query left out), in order. */
  on(path: string): Exchange[];
  clear(): void;
  stop(): void;
}

type WriteHead = (...args: unknown[]) => http.ServerResponse;
type Listen = (event: string | symbol, listener: (...args: unknown[]) => void) => http.IncomingMessage;

/**
 * Sees every request of an HTTP server before its handler does, and the
 * status and headers the handler answers with: what went over the wire,
 * whatever client sent it and however that client reads the answer.
 */
export function tapHttp(server: http.Server | http2.Http2SecureServer): HttpTap {
  const exchanges: Exchange[] = [];
  const listener = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    const exchange: Exchange = {
      method: request.method ?? '',
      url: request.url ?? '',
      request: { ...request.headers },
      response: {},
      body: () => Buffer.concat(chunks),
    };
    exchanges.push(exchange);
    // The body is copied only once the handler itself starts reading it, so
    // the tap never sets the stream flowing before the handler listens.
    const on = request.on.bind(request) as Listen;
    let copying = false;
    (request as unknown as { on: Listen }).on = (event, listener) => {
      if (event === 'data' && !copying) {
        copying = true;
        on('data', (chunk) => void chunks.push(chunk as Buffer));
      }
      return on(event, listener);
    };
    const writeHead = response.writeHead.bind(response) as WriteHead;
    (response as unknown as { writeHead: WriteHead }).writeHead = (...args: unknown[]) => {
      exchange.status = args[0] as number;
      const fields = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null) as Record<string, string | number | string[]> | undefined;
      for (const [name, value] of Object.entries(response.getHeaders())) exchange.response[name.toLowerCase()] = value;
      for (const [name, value] of Object.entries(fields ?? {})) exchange.response[name.toLowerCase()] = value;
      return writeHead(...args);
    };
  };
  const typed = server as http.Server;
  typed.prependListener('request', listener);
  return {
    exchanges,
    on: (path) => exchanges.filter((e) => e.url.split('?')[0] === path),
    clear: () => void exchanges.splice(0),
    stop: () => void typed.off('request', listener),
  };
}
