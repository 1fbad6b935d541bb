import type http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { ReflectionService } from '@grpc/reflection';
import { DeadlineSweep } from '../../gateway/deadline';
import { type ConnectionLimits, Connections, listen } from './connections';
import { putInFront } from './http2-front';
import { OpenStreams } from './open-streams';
import { checkRequest, refuse } from './request-check';
import { UnaryStreamCall, type UnaryStreamOptions } from './unary-stream';
import type { UnaryHandler } from './unary';

export interface GrpcServerOptions {
  /** Every call of a method in `paths` goes to `handler`. */
  readonly handler: UnaryHandler;
  readonly paths: readonly string[];
  /** Server reflection over every served service's files (createReflectionService). */
  readonly reflection: ReflectionService;
  /** Larger requests are refused with RESOURCE_EXHAUSTED before they are read. */
  readonly maxReceiveBytes: number;
  /** How many connections, and how long one may sit idle or take to begin HTTP/2. */
  readonly limits: ConnectionLimits;
  readonly credentials?: grpc.ServerCredentials;
  /** Sees every answered call of `paths` (for logs and metrics). */
  readonly onCall?: UnaryStreamOptions['onCall'];
}

export interface GrpcServer {
  readonly server: grpc.Server;
  readonly port: number;
  readonly health: HealthImplementation;
  /** Open TCP connections on the port. */
  connections(): number;
  /**
   * Health turns NOT_SERVING, new calls are refused, calls in flight finish
   * (for at most graceMs), and open health Watch and reflection streams are
   * ended rather than holding the shutdown up. At the end of graceMs every
   * connection still open is destroyed, whatever its client does.
   */
  shutdown(graceMs: number): Promise<void>;
  /** Health of the server ('') and each served service, e.g. NOT_SERVING while the store cannot commit. */
  setServing(serving: boolean): void;
}

/**
 * The gRPC port. grpc-js owns the HTTP/2 server and its sessions; the
 * unary methods in `paths` are answered on their stream (unary-stream.ts),
 * their messages passed as bytes to the transport-free handler, so gRPC and
 * the gateway run the same code. grpc-js serves server reflection (v1 and
 * v1alpha), grpc.health.v1 and anything else.
 */
export async function startGrpcServer(
  options: GrpcServerOptions,
  address: { host: string; port: number },
): Promise<GrpcServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxReceiveBytes,
    // No channelz service is offered, and its per-call bookkeeping was the
    // fourth largest allocation of a call in a heap profile.
    'grpc.enable_channelz': 0,
    // A peer that vanished while a stream is open (a health Watch) is found
    // by a PING it does not answer; idle connections are closed before that.
    'grpc.keepalive_time_ms': options.limits.idleTimeoutMs,
    'grpc.keepalive_timeout_ms': 20_000,
  });
  const served = new Set(options.paths);
  const unaryOptions = { handler: options.handler, maxReceiveBytes: options.maxReceiveBytes, deadlines: new DeadlineSweep(), onCall: options.onCall };
  const connections = new Connections(options.limits);
  // Only POST application/grpc with a well-formed grpc-timeout reaches a method, ours or grpc-js's.
  putInFront(server, {
    session: (session) => connections.sessionStarted(session),
    stream: (stream: http2.ServerHttp2Stream, headers) => {
      connections.streamOpened(stream);
      const refusal = checkRequest(headers);
      if (refusal) {
        refuse(stream, refusal);
        return false;
      }
      // Our unary methods are answered on the stream; grpc-js serves the rest (health, reflection, unknown paths).
      const path = headers[':path'];
      if (path === undefined || !served.has(path)) return true;
      new UnaryStreamCall(stream, headers, path, unaryOptions);
      return false;
    },
  });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });

  // Health names every service whose methods are served here ("/package.Service/Method").
  const serviceNames = [...new Set(options.paths.map((path) => path.slice(1, path.lastIndexOf('/'))))];
  const streams = new OpenStreams(server);
  options.reflection.addToServer(streams);
  health.addToServer(streams);

  // The listening socket is ours, so every connection can be counted,
  // capped and destroyed; grpc-js gets each one through its injector (over
  // TLS too: the injected HTTP/2 server is then a TLS server).
  const injector = server.createConnectionInjector(options.credentials ?? grpc.ServerCredentials.createInsecure());
  const listener = await listen(address, connections, (socket) => injector.injectConnection(socket));
  const port = (listener.address() as { port: number }).port;

  const setAll = (status: 'SERVING' | 'NOT_SERVING') => {
    for (const name of ['', ...serviceNames]) health.setStatus(name, status);
  };
  setAll('SERVING');

  return {
    server,
    port,
    health,
    connections: () => connections.count,
    setServing: (serving) => setAll(serving ? 'SERVING' : 'NOT_SERVING'),
    shutdown: async (graceMs) => {
      setAll('NOT_SERVING');
      listener.close();
      // tryShutdown refuses new calls at once and resolves when the calls in
      // flight are done; streams that would never end on their own (health
      // Watch, reflection) are ended, after their last NOT_SERVING went out.
      const closed = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await new Promise((resolve) => setImmediate(resolve));
      streams.endAll();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), graceMs)));
      if ((await Promise.race([closed, expired])) === 'expired') server.forceShutdown();
      clearTimeout(timer);
      // grpc-js's forceShutdown destroys only the sessions it tracks for
      // channelz (off here), and a session nghttp2 ended never closes: the
      // sockets themselves go, and with them every session.
      await connections.destroyAll();
    },
  };
}
