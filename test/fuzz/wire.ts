/**
 * Sends a fuzz case exactly as generated: gRPC over raw node:http2 (no
 * grpc-js client to tidy it up), gRPC-Web and REST over raw node:http. Every
 * request has its own deadline; what comes back is reported, never thrown.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { FuzzCase } from './cases';

export type Answer =
  | {
      readonly kind: 'answered';
      readonly status: number;
      /** Response headers and, for HTTP/2, trailers: name, value (repeats kept). */
      readonly headers: Array<[string, string]>;
      readonly trailers: Array<[string, string]>;
      readonly body: Buffer;
    }
  /** The stream was reset, or the connection failed, before an answer ended. */
  | { readonly kind: 'reset'; readonly detail: string }
  /** No answer within the case's deadline. */
  | { readonly kind: 'timeout' }
  /** The client library refused to send it (e.g. a header HTTP/2 forbids): not sent. */
  | { readonly kind: 'unsendable'; readonly detail: string };

const pairs = (headers: http2.IncomingHttpHeaders | http.IncomingHttpHeaders): Array<[string, string]> =>
  Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : Array.isArray(value) ? value.map((v): [string, string] => [name, v]) : [[name, String(value)]]));

/** One HTTP/2 connection to the gRPC port, replaced when the server closes it. */
export class H2Connection {
  private session: http2.ClientHttp2Session | undefined;

  constructor(private readonly port: number) {}

  private current(): http2.ClientHttp2Session {
    if (!this.session || this.session.closed || this.session.destroyed) {
      const session = http2.connect(`http://127.0.0.1:${this.port}`);
      // A session error is seen by its streams; this only keeps it from being thrown.
      session.on('error', () => undefined);
      session.on('goaway', () => session.destroy());
      this.session = session;
    }
    return this.session;
  }

  send(c: FuzzCase, timeoutMs: number): Promise<Answer> {
    const headers: http2.OutgoingHttpHeaders = { ':method': c.method, ':path': c.path };
    for (const [name, value] of c.headers) {
      const had = headers[name];
      headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [String(had), value];
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.current().request(headers, { endStream: false });
    } catch (error) {
      return Promise.resolve({ kind: 'unsendable', detail: String(error) });
    }
    return new Promise((resolve) => {
      let status = 0;
      let responseHeaders: Array<[string, string]> = [];
      let trailers: Array<[string, string]> = [];
      const chunks: Buffer[] = [];
      let settled = false;
      const settle = (answer: Answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve(answer);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = pairs(h).filter(([n]) => n !== ':status');
      });
      stream.on('trailers', (t: http2.IncomingHttpHeaders) => (trailers = pairs(t)));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => settle({ kind: 'answered', status, headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
      stream.on('error', (error: Error) => settle({ kind: 'reset', detail: error.message }));
      stream.on('close', () => {
        // Closed without 'end': a reset (RST_STREAM), or the session went away.
        if (status === 0) settle({ kind: 'reset', detail: `closed, rstCode ${stream.rstCode}` });
        else settle({ kind: 'answered', status, headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
      });
      stream.end(c.body);
    });
  }

  close(): void {
    this.session?.close();
  }
}

/** One HTTP/1.1 request on its own connection. */
export function h1Send(port: number, c: FuzzCase, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    let request: http.ClientRequest;
    const settle = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    try {
      request = http.request(
        {
          host: '127.0.0.1',
          port,
          method: c.method,
          path: c.path,
          // Raw header pairs keep repeats and order; node adds neither host nor content-length to them.
          headers: ['host', `127.0.0.1:${port}`, ...c.headers.flat(), 'content-length', String(c.body.length)],
          agent: false,
          insecureHTTPParser: true,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            settle({ kind: 'answered', status: response.statusCode ?? 0, headers: pairs(response.headers), trailers: pairs(response.trailers), body: Buffer.concat(chunks) }),
          );
          response.on('error', (error) => settle({ kind: 'reset', detail: error.message }));
        },
      );
    } catch (error) {
      clearTimeout(timer);
      settled = true;
      resolve({ kind: 'unsendable', detail: String(error) });
      return;
    }
    request.on('error', (error) => settle({ kind: 'reset', detail: error.message }));
    request.end(c.body);
  });
}
