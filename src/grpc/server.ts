import type http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';
import type { ReflectionService } from '@grpc/reflection';
import { type ConnectionLimits, Connections, listen } from './connections';
import { putInFront } from './http2-front';
import { OpenStreams } from './open-streams';
import { checkRequest, refuse } from './request-check';
import type { UnaryHandler } from './unary';

export interface GrpcServerOptions {
  /** Every call of a method in `paths` goes to `handler`. */
  readonly handler: UnaryHandler;
  readonly paths: readonly string[];
  /** The services' descriptors (proto-loader), for the method table. */
  readonly packageDefinition: PackageDefinition;
  /** Server reflection over every served service's files (createReflectionService). */
  readonly reflection: ReflectionService;
  /** Larger requests are refused with RESOURCE_EXHAUSTED before they are read. */
  readonly maxReceiveBytes: number;
  /** How many connections, and how long one may sit idle or take to begin HTTP/2. */
  readonly limits: ConnectionLimits;
  readonly credentials?: grpc.ServerCredentials;
  /** Sees every answered call (for logs and metrics). */
  readonly onCall?: (record: {
    method: string;
    protocol: 'grpc';
    code: number;
    durationMs: number;
    annotations?: Readonly<Record<string, string>>;
  }) => void;
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

const identity = (bytes: Buffer): Buffer => bytes;

const isService = (value: unknown): value is ServiceDefinition =>
  typeof value === 'object' && value !== null && !('format' in value) && Object.values(value).some((m) => 'path' in (m as object));

/**
 * grpc-js as a thin adapter: messages pass through as bytes (identity
 * (de)serializers) to the transport-free handler, which decodes them itself,
 * so gRPC and the gateway run the same code. Adds server reflection (v1 and
 * v1alpha) and grpc.health.v1, each with one call.
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
  // Only POST application/grpc with a well-formed grpc-timeout reaches grpc-js.
  const connections = new Connections(options.limits);
  putInFront(server, {
    session: (session) => connections.sessionStarted(session),
    stream: (stream: http2.ServerHttp2Stream, headers) => {
      connections.streamOpened(stream);
      const refusal = checkRequest(headers);
      if (refusal) refuse(stream, refusal);
      return refusal === undefined;
    },
  });
  const served = new Set(options.paths);
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  const serviceNames: string[] = [];

  for (const [serviceName, definition] of Object.entries(options.packageDefinition)) {
    if (!isService(definition)) continue;
    const service: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      if (!served.has(method.path) || method.requestStream || method.responseStream) continue;
      service[name] = {
        ...method,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      };
      implementation[name] = bridge(options.handler, method.path, options.onCall);
    }
    if (Object.keys(service).length === 0) continue;
    server.addService(service, implementation);
    serviceNames.push(serviceName);
  }
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

function bridge(handler: UnaryHandler, path: string, onCall: GrpcServerOptions['onCall']): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    const started = performance.now();
    handler({ method: path, metadata: metadataToRecord(call.metadata), message: call.request }).then(
      (result) => {
        onCall?.({ method: path, protocol: 'grpc', code: result.code, durationMs: performance.now() - started, annotations: result.annotations });
        if (result.code === 0) {
          const response = result.response!;
          // A Buffer already (the kept Get answer) is sent as it is, not wrapped again.
          callback(null, Buffer.isBuffer(response) ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength));
          return;
        }
        const trailers = new grpc.Metadata();
        if (result.details) trailers.set('grpc-status-details-bin', Buffer.from(result.details));
        callback(Object.assign(new Error(result.message), { code: result.code, details: result.message, metadata: trailers }));
      },
      // The handler answers errors itself; this only guards against a bug in it.
      () => callback(Object.assign(new Error('internal error'), { code: grpc.status.INTERNAL, details: 'internal error' })),
    );
  };
}

/** Text metadata as a record; binary (-bin) values base64, as they travel in HTTP/2. */
export function metadataToRecord(metadata: grpc.Metadata): Record<string, string> {
  // getMap() makes a new object per call: it becomes the record, not a copy of it.
  const record = metadata.getMap();
  for (const key in record) {
    const value = record[key]!;
    if (typeof value !== 'string') record[key] = value.toString('base64');
  }
  return record as Record<string, string>;
}
