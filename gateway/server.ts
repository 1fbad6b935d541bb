import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { COMPRESS_MIN_BYTES } from './compression';
import { connectHandle, connectRefuse, getAllowed } from './connect/handler';
import { isConnectContentType } from './connect/content-type';
import { connectTimeoutParse } from './connect/timeout';
import { type CorsOptions, corsApply, corsPreflight } from './cors';
import { withDeadline } from './deadline';
import { Codes, GatewayError } from './errors';
import { isGrpcWebContentType } from './grpc-web/content-type';
import { grpcWebHandle, grpcWebRefuse } from './grpc-web/handler';
import { grpcTimeoutParse } from './grpc-web/timeout';
import { restHandle, restRefuse } from './rest/handler';
import { type Router, routerCompile } from './rest/routes';
import { openApiDocument, openApiRoute } from './openapi';
import { type Schema, schemaFromDescriptorSet } from './schema';
import type { UnaryCall } from './unary-call';

/** An HTTP endpoint the composition root adds beside the API (a page, health, metrics). */
export interface ExtraRoute {
  /** GET routes answer HEAD too. */
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Match every path under `path` (which then ends in "/"), not `path` alone. */
  readonly prefix?: boolean;
  handle(request: IncomingMessage, response: ServerResponse): void | Promise<void>;
}

/** The extra route for a request, if any. */
function extraRouteFor(routes: readonly ExtraRoute[], method: string, path: string): ExtraRoute | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  return routes.find((r) => r.method === wanted && (r.prefix === true ? path.startsWith(r.path) : path === r.path));
}

/** One finished call, for logs and metrics; "unmatched" stands for a method the gateway does not know. */
export interface CallRecord {
  readonly method: string;
  readonly protocol: 'grpc-web' | 'grpc-web-text' | 'connect' | 'rest';
  readonly code: number;
  readonly durationMs: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface GatewayOptions {
  readonly call: UnaryCall;
  /**
   * A FileDescriptorSet of the services fronted, or the Schema already made
   * from one (schemaFromDescriptorSet); routes come from its google.api.http rules.
   */
  readonly descriptorSet: Uint8Array | Schema;
  /** Path prefix per service, e.g. {"zitadel.admin.v1.AdminService": "/admin/v1"}. */
  readonly mounts: Readonly<Record<string, string>>;
  readonly cors: CorsOptions;
  /** Larger request bodies, and messages larger once decompressed, are refused with 413. */
  readonly maxBodyBytes: number;
  /** Answers at least this large are gzipped for clients that take gzip; 1024 unless set. */
  readonly compressMinBytes?: number;
  /** The deadline of a call whose client sets none (grpc-timeout); none when undefined. */
  readonly defaultTimeoutMs?: number;
  readonly extraRoutes?: readonly ExtraRoute[];
  /** Serve GET /openapi.json, generated from the same descriptors and rules. */
  readonly openApi?: { readonly title: string; readonly version: string };
  readonly onCall?: (record: CallRecord) => void;
  /** Sees what went wrong inside the gateway itself (a bug); the client gets INTERNAL. */
  readonly onError?: (error: unknown) => void;
}

export interface Gateway {
  readonly schema: Schema;
  readonly router: Router;
  readonly listener: (request: IncomingMessage, response: ServerResponse) => void;
}

/** A gRPC path: "/package.Service/Method". */
const GRPC_PATH = /^\/[A-Za-z_][\w.]*\.[A-Za-z_]\w*\/[A-Za-z_]\w*$/;

/** The query of a Connect GET (connectrpc.com/docs/protocol#unary-get-request): it names the protocol version. */
const CONNECT_GET = /(?:^|&)connect=v1(?:&|$)/;

/**
 * The HTTP front of the gRPC services: gRPC-Web (binary and text), Connect
 * (JSON and binary) and REST/JSON transcoded from the google.api.http rules,
 * with CORS and gzip, over any UnaryCall. Routing errors and RPC errors
 * share one error body per protocol.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const set = options.descriptorSet;
  const schema = set instanceof Uint8Array ? schemaFromDescriptorSet(set) : set;
  const router = routerCompile(schema, options.mounts);
  const call = withDeadline(options.call);
  const compressMinBytes = options.compressMinBytes ?? COMPRESS_MIN_BYTES;
  const rest = { call, registry: schema.registry, maxBodyBytes: options.maxBodyBytes, compressMinBytes };
  const grpcWeb = { call, maxBodyBytes: options.maxBodyBytes, compressMinBytes };
  const connect = { call, registry: schema.registry, maxBodyBytes: options.maxBodyBytes, compressMinBytes };
  const extras = [...(options.extraRoutes ?? [])];
  if (options.openApi) {
    const openApi = options.openApi;
    extras.push(openApiRoute(() => openApiDocument(schema, router, { ...openApi, mounts: options.mounts })));
  }

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    const started = performance.now();
    // Split by hand: new URL() per request costs more than the whole route match.
    const target = request.url ?? '/';
    const mark = target.indexOf('?');
    const path = mark === -1 ? target : target.slice(0, mark);
    const method = request.method ?? 'GET';
    const grpcPath = GRPC_PATH.test(path);
    const record = (protocol: CallRecord['protocol'], code: number, name: string, annotations?: Readonly<Record<string, string>>) =>
      options.onCall?.({ method: name, protocol, code, durationMs: performance.now() - started, annotations });

    const contentType = request.headers['content-type'];
    const known = grpcPath ? schema.methods.get(path) : undefined;
    const query = mark === -1 ? '' : target.slice(mark + 1);
    // gRPC paths take gRPC-Web and Connect (POST; GET for a known method, or
    // one that says connect=v1: a Connect GET, answered as Connect even when
    // no such method exists); every other path is a REST route or an extra one.
    const protocol: 'grpc-web' | 'connect' | 'rest' = isGrpcWebContentType(contentType)
      ? 'grpc-web'
      : grpcPath && (method === 'POST' || (method === 'GET' && (known !== undefined || CONNECT_GET.test(query))))
        ? 'connect'
        : 'rest';

    if (method === 'OPTIONS') {
      corsPreflight(request, response, options.cors, grpcPath ? (getAllowed(known) ? ['GET', 'POST'] : ['POST']) : router.methodsFor(path));
      return;
    }
    corsApply(request, response, options.cors);

    // The method label of logs and metrics: a known method, never an
    // arbitrary client-chosen path (which would make label values unbounded).
    let name = known ? path : 'unmatched';
    const run = async (): Promise<void> => {
      if (protocol === 'grpc-web') {
        if (method !== 'POST') throw new GatewayError(Codes.unimplemented, 'gRPC-Web calls are POST', 405, { allow: 'POST' });
        const outcome = await grpcWebHandle(request, response, path, grpcDeadline(request, options.defaultTimeoutMs), grpcWeb);
        record(outcome.protocol, outcome.code, name, outcome.annotations);
        return;
      }
      if (protocol === 'connect') {
        if (method === 'POST' && !isConnectContentType(contentType)) {
          throw new GatewayError(
            Codes.unimplemented,
            `content type ${contentType ?? '(none)'} is neither gRPC-Web nor Connect: use application/grpc-web[-text][+proto], application/proto or application/json`,
            415,
          );
        }
        const deadline = connectDeadline(request, options.defaultTimeoutMs);
        const outcome = await connectHandle(request, response, path, known, query, deadline, connect);
        record('connect', outcome.code, name, outcome.annotations);
        return;
      }
      const extra = extraRouteFor(extras, method, path);
      if (extra) {
        await extra.handle(request, response);
        return;
      }
      const match = router.match(method === 'HEAD' ? 'GET' : method, path);
      if (match.kind === 'none') {
        if (grpcPath) throw new GatewayError(Codes.unimplemented, `${method} is not allowed on ${path}: gRPC-Web and Connect calls are POST`, 405, { allow: 'POST' });
        throw new GatewayError(Codes.notFound, `no route for ${method} ${path}`);
      }
      if (match.kind === 'method') {
        throw new GatewayError(Codes.unimplemented, `${method} is not allowed on ${path}`, 405, { allow: match.allowed.join(', ') });
      }
      name = match.route.grpcPath;
      const result = await restHandle(request, response, match.route, match.bindings, new URLSearchParams(query), grpcDeadline(request, options.defaultTimeoutMs), rest);
      record('rest', result.code, name, result.annotations);
    };

    run().catch((thrown: unknown) => {
      const error = thrown instanceof GatewayError ? thrown : new GatewayError(Codes.internal, 'internal error');
      if (!(thrown instanceof GatewayError)) options.onError?.(thrown);
      if (response.headersSent || response.destroyed) {
        response.destroy();
        return;
      }
      record(protocol, error.code, name);
      if (protocol === 'grpc-web') grpcWebRefuse(response, error);
      else if (protocol === 'connect') connectRefuse(response, error);
      else restRefuse(response, error, schema.registry);
      // A body the gateway refused unread is drained, so the connection stays usable.
      if (!request.complete) request.resume();
    });
  };
  return { schema, router, listener };
}

/**
 * A gRPC-Web or REST call's deadline: from grpc-timeout, which gRPC-Web
 * clients send and REST clients may send too (as with grpc-gateway), else
 * the default.
 */
function grpcDeadline(request: IncomingMessage, defaultTimeoutMs: number | undefined): number | undefined {
  const header = request.headers['grpc-timeout']?.toString();
  if (header === undefined) return defaultDeadline(defaultTimeoutMs);
  const ms = grpcTimeoutParse(header);
  if (ms === undefined) throw new GatewayError(Codes.invalidArgument, `malformed grpc-timeout ${JSON.stringify(header)}`);
  return Date.now() + ms;
}

/** A Connect call's deadline: from Connect-Timeout-Ms, else the default. */
function connectDeadline(request: IncomingMessage, defaultTimeoutMs: number | undefined): number | undefined {
  const header = request.headers['connect-timeout-ms']?.toString();
  if (header === undefined) return defaultDeadline(defaultTimeoutMs);
  const ms = connectTimeoutParse(header);
  if (ms === undefined) throw new GatewayError(Codes.invalidArgument, `malformed connect-timeout-ms ${JSON.stringify(header)}: a positive integer of at most 10 digits`);
  return Date.now() + ms;
}

const defaultDeadline = (ms: number | undefined) => (ms === undefined ? undefined : Date.now() + ms);

export interface GatewayServer {
  readonly server: http.Server | http2.Http2SecureServer;
  readonly port: number;
  /** Stops accepting; requests in flight finish, for at most graceMs, then connections are cut. */
  close(graceMs?: number): Promise<void>;
}

/** What one client may hold of the HTTP port. */
export interface ConnectionLimits {
  /** Connections past this many are closed as they arrive. */
  readonly maxConnections: number;
  /**
   * An HTTP/2 (TLS) connection with no traffic for this long is asked to go;
   * a TLS handshake must finish within min(10 s, this). HTTP/1.1 keep-alive
   * connections close after 5 s without a request, and one whose headers
   * take over 10 s is cut (Node's headersTimeout).
   */
  readonly idleTimeoutMs: number;
  /** Sees each connection refused for the cap. */
  readonly onRefused?: () => void;
}

const DEFAULT_LIMITS: ConnectionLimits = { maxConnections: 512, idleTimeoutMs: 120_000 };

/**
 * Listens in plain HTTP/1.1, or with a certificate over TLS, where ALPN
 * offers HTTP/2 and HTTP/1.1 still works (Node's compatibility API hands
 * both to the same listener).
 */
export async function startGatewayServer(
  gateway: Gateway,
  address: { host: string; port: number },
  tls?: { readonly cert: Buffer; readonly key: Buffer },
  limits: ConnectionLimits = DEFAULT_LIMITS,
): Promise<GatewayServer> {
  if (!tls) {
    // Node enforces headersTimeout and requestTimeout only when it checks,
    // every 30 s by default: a slowloris connection then lived ~40 s.
    const server = http.createServer({ keepAliveTimeout: 5000, connectionsCheckingInterval: 1000 }, gateway.listener);
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    return listen(server, address, limits, () => server.closeIdleConnections());
  }
  const server = http2.createSecureServer({
    cert: tls.cert,
    key: tls.key,
    allowHTTP1: true,
    handshakeTimeout: Math.min(10_000, limits.idleTimeoutMs),
  });
  // The compatibility request and response offer what the listener uses of
  // IncomingMessage and ServerResponse, so both protocols take one path.
  server.on('request', gateway.listener as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  // Without a timeout an HTTP/2 session, or an HTTP/1.1 connection on this
  // server (which does not take http.Server's keep-alive and header
  // timeouts), stays open for as long as the client likes. Sessions are
  // asked to go (GOAWAY, their streams finish); HTTP/1.1 sockets are closed.
  server.setTimeout(limits.idleTimeoutMs);
  server.on('timeout', (idle: http2.ServerHttp2Session | net.Socket) => {
    if (idle instanceof net.Socket) idle.destroy();
    else idle.close();
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  // A session asked to close finishes its streams, then goes away.
  return listen(server, address, limits, () => sessions.forEach((s) => s.close()));
}

async function listen(
  server: http.Server | http2.Http2SecureServer,
  address: { host: string; port: number },
  limits: ConnectionLimits,
  /** Asks the connections with nothing in flight to go, at the start of close(). */
  closeIdle: () => void,
): Promise<GatewayServer> {
  // net.Server closes a connection over the cap as it is accepted ('drop').
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => limits.onRefused?.());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  // Every TCP socket, whatever became of it: a TLS handshake never finished,
  // or an HTTP/1.1 connection on the HTTP/2 server (allowHTTP1) is neither a
  // session nor known to closeAllConnections, and would hold close() open.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    server,
    port,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          // Destroying the socket ends its HTTP/2 session or HTTP/1.1 request too.
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        closeIdle();
      }),
  };
}
