import type http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

export interface Http2Front {
  /** Sees every session of the server. */
  session(session: http2.ServerHttp2Session): void;
  /** Sees every stream first; false when it answered the stream itself and grpc-js must not see it. */
  stream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
}

type SetupHandlers = (this: grpc.Server, http2Server: http2.Http2Server | http2.Http2SecureServer, ...rest: unknown[]) => void;

interface GrpcServerInternals {
  _setupHandlers: SetupHandlers;
}

/**
 * Puts `front` in front of grpc-js on every HTTP/2 server it creates.
 *
 * grpc-js offers no hook before its stream handler, which answers any
 * :method (a HEAD ran the method) and whose stream.respond would throw after
 * a second listener answered. So this reaches into one private method,
 * `_setupHandlers(http2Server, ...)` (grpc-js 1.10 to 1.14 at least), which
 * adds grpc-js's 'stream' and 'session' listeners: after it ran, its stream
 * listeners are moved behind `front`. Checked here, so a grpc-js without it
 * stops the start instead of serving unguarded; the tests in
 * test/hardening/ fail if the hook no longer takes effect.
 */
export function putInFront(server: grpc.Server, front: Http2Front): void {
  const internals = server as unknown as GrpcServerInternals;
  const setup = internals._setupHandlers;
  if (typeof setup !== 'function') throw new Error('@grpc/grpc-js has no Server._setupHandlers: the HTTP/2 front cannot be installed');
  internals._setupHandlers = function (http2Server, ...rest) {
    setup.call(this, http2Server, ...rest);
    const grpcListeners = http2Server.listeners('stream') as Array<(...args: unknown[]) => void>;
    http2Server.removeAllListeners('stream');
    http2Server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...more: unknown[]) => {
      if (!front.stream(stream, headers)) return;
      for (const listener of grpcListeners) listener.call(http2Server, stream, headers, ...more);
    });
    http2Server.on('session', (session: http2.ServerHttp2Session) => front.session(session));
  };
}
