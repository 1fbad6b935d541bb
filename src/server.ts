import fs from 'node:fs';
import { createGateway, type GatewayServer, startGatewayServer } from '../gateway/server';
import { fileRoute, redirectRoute, staticRoute } from '../gateway/static';
import { healthRoutes, metricsRoute } from '../gateway/probe-routes';
import { schemaFromDescriptorSet } from '../gateway/schema';
import { ServerCredentials } from '@grpc/grpc-js';
import { writeAdminTokenFile } from './admin-token-file';
import { OidcSettingsService } from './app/oidc-settings-service';
import { ensureInstance } from './app/setup';
import { Tokens } from './app/tokens';
import { type Config, redactUrl } from './config/config';
import { checkDataFolderWritable, dataFolderError, listenError } from './config/start-error';
import { Code } from './domain/code';
import { adminServiceMethods } from './grpc/admin-service';
import { createDispatcher } from './grpc/dispatcher';
import { createReflectionService } from './grpc/reflection';
import { type GrpcServer, startGrpcServer } from './grpc/server';
import type { Logger } from './log';
import { callObserver } from './observability/call-log';
import { connectionCaps } from './config/connection-caps';
import { routeGrpcLibraryLogs } from './observability/grpc-library-log';
import { refusalWarning } from './observability/refusals';
import { Metrics } from './observability/metrics';
import { SERVICE_VERSION, DESCRIPTOR_SET_PATH, HEALTH_DESCRIPTOR_SET_PATH, WEB_DIST_PATH } from './paths';
import { StoreHealth } from './app/store-health';
import { type Tightened, secureDataFolder } from './store/file-modes';
import { DatabaseOpenError, type Store } from './store/port';
import type * as postgres from './store/postgres/postgres-store';
import { SqliteStore } from './store/sqlite/sqlite-store';
import { restPathOf, serverReadyLine } from './ready-line';
import type { Verdict } from './store/sqlite/verify-early';

export interface RunningServer {
  readonly instanceId: string;
  readonly metrics: Metrics;
  readonly grpc: GrpcServer;
  /** The in-process gateway: gRPC-Web, Connect and REST on the HTTP port. */
  readonly http: GatewayServer;
  /**
   * The start of a drain: /readyz answers 503 and gRPC health NOT_SERVING
   * from now on, while both ports keep serving calls as before, so load
   * balancers stop sending new ones before stop() refuses them. How long
   * to wait before stop() is the caller's (main.ts: SHUTDOWN_DRAIN).
   */
  drain(): void;
  /** Graceful stop, at once: NOT_SERVING, refuse new calls, finish those in flight, close the database. */
  stop(): Promise<void>;
}

/**
 * The composition root: opens the store, sets up the instance on first
 * start, builds the core and binds it to its transports.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  options: { readonly verdict?: Promise<Verdict> } = {},
): Promise<RunningServer> {
  routeGrpcLibraryLogs(logger);
  const caps = connectionCaps(config, logger);
  const tightened = (t: Tightened) => logger.warn(t, 'tightened file mode');
  try {
    secureDataFolder(config.dataDir, tightened);
  } catch (error) {
    throw dataFolderError(error, config.dataDir);
  }
  // A first start creates the database there; an existing one the folder
  // no longer lets us write is served read-only (StoreHealth says so).
  if (config.databaseUrl === undefined && !fs.existsSync(config.databaseFile)) checkDataFolderWritable(config.dataDir);
  // What needs no database is built first: with a large database, while
  // its integrity check (started by main.ts) still runs on its own thread.
  const descriptorSet = fs.readFileSync(DESCRIPTOR_SET_PATH);
  const reflection = createReflectionService([descriptorSet, fs.readFileSync(HEALTH_DESCRIPTOR_SET_PATH)]);
  const gatewaySchema = schemaFromDescriptorSet(descriptorSet);
  const metrics = new Metrics();
  const store = await openStore(config, logger, options.verdict, tightened);
  const transports: { grpc?: GrpcServer } = {};
  try {
    let stopping: Promise<void> | undefined;
    let draining = false;
    // A store that cannot commit (or, on PostgreSQL, cannot be reached)
    // makes the service not ready (/readyz and gRPC health) until a commit,
    // a call's or the probe's, succeeds again.
    const health: StoreHealth = new StoreHealth({
      fault: (error) => store.fault(error),
      probe: () => settings.probe(),
      onChange: (change) => {
        if (change.writable) logger.info({ store: store.location }, 'the database can be used again');
        else logger.error({ cause: change.cause, err: change.error, store: store.location }, 'the database cannot be used');
        if (stopping === undefined && !draining) transports.grpc?.setServing(change.writable);
      },
    });
    const tokens = new Tokens(store.tokens, { failure: (error) => health.failed(error) });
    const instance = await ensureInstance(store, tokens, {
      seed: config.seedLifetimes,
      deliverAdminToken: (secret) => writeAdminTokenFile(config.adminTokenFile, secret),
    });
    if (instance.created) {
      logger.info(
        { instance: instance.id, seeded: config.seedLifetimes !== undefined, tokenFile: config.adminTokenFile },
        'created the instance and an IAM_OWNER token',
      );
    }
    const observeCall = callObserver(logger, metrics);
    const settings = await OidcSettingsService.open(store, instance.id, {
      onCommit: (c) => metrics.committed(c.durationMs / 1000, c.writes, c.events),
      onConflict: () => metrics.conflicted(),
      health,
    });
    // Whether it can write at all (a read-only file, a full disk) is known before it serves.
    await settings.probe().catch(() => undefined);
    const dispatcher = createDispatcher({
      methods: adminServiceMethods(settings),
      authenticate: (authorization) => tokens.authenticate(authorization),
      annotations: { instance: instance.id },
      // The cause of an internal error goes to the log; the client is told "internal error".
      onError: (error, request) => {
        if (error.code === Code.Internal) logger.error({ err: error.cause, method: request.method }, 'internal error');
      },
    });
    const grpcAddress = { host: config.grpcHost, port: config.grpcPort };
    const grpc = await startGrpcServer(
      {
        handler: dispatcher,
        paths: dispatcher.paths,
        reflection,
        maxReceiveBytes: config.grpcMaxReceiveBytes,
        limits: {
          maxConnections: caps.grpc,
          idleTimeoutMs: config.grpcIdleTimeoutMs,
          // TLS handshake, preface and SETTINGS take milliseconds; a socket
          // that sends none of them only holds a descriptor.
          handshakeTimeoutMs: Math.min(10_000, config.grpcIdleTimeoutMs),
          onRefused: refusalWarning(logger, 'connection refused: GRPC_MAX_CONNECTIONS reached', { port: 'grpc' }),
        },
        credentials: config.tls && ServerCredentials.createSsl(null, [{ cert_chain: config.tls.cert, private_key: config.tls.key }], false),
        onCall: observeCall,
      },
      grpcAddress,
    ).catch((error: unknown) => {
      throw listenError(error, 'grpc', grpcAddress);
    });
    transports.grpc = grpc;
    if (!health.writable) grpc.setServing(false);
    logger.info(
      { address: `${config.grpcHost}:${grpc.port}`, tls: config.tls !== undefined, instance: instance.id, tokenFile: config.adminTokenFile },
      'serving gRPC',
    );
    // The gateway calls the dispatcher directly: no network hop, same code path.
    const gateway = createGateway({
      call: dispatcher,
      descriptorSet: gatewaySchema,
      mounts: config.restMounts,
      cors: { origins: config.corsOrigins, allowedHeaders: config.corsAllowedHeaders ?? [], maxAgeSeconds: 7200 },
      maxBodyBytes: config.maxBodyBytes,
      // The settings page (web/) at /ui/, not at "/", whose prefix would take every REST GET.
      extraRoutes: [
        staticRoute({ folder: WEB_DIST_PATH, mount: '/ui/' }),
        redirectRoute('/', '/ui/'),
        redirectRoute('/ui', '/ui/'),
        // Browsers ask for it on any page that links no icon (/openapi.json too): the page's icon, not a 404.
        fileRoute('/favicon.ico', { folder: WEB_DIST_PATH, name: 'favicon.svg' }),
        ...healthRoutes(() => stopping === undefined && !draining && store.open && health.writable),
        metricsRoute(() => metrics.registry.metrics(), metrics.registry.contentType),
      ],
      defaultTimeoutMs: config.callTimeoutMs,
      openApi: { title: 'OIDC settings (ZITADEL Admin API)', version: SERVICE_VERSION },
      onCall: observeCall,
      onError: (error) => logger.error({ err: error }, 'gateway internal error'),
    });
    const httpAddress = { host: config.httpHost, port: config.httpPort };
    const http = await startGatewayServer(gateway, httpAddress, config.tls, {
      maxConnections: caps.http,
      idleTimeoutMs: config.httpIdleTimeoutMs,
      onRefused: refusalWarning(logger, 'connection refused: HTTP_MAX_CONNECTIONS reached', { port: 'http' }),
    }).catch((error: unknown) => {
      throw listenError(error, 'http', httpAddress);
    });
    logger.info({ address: `${config.httpHost}:${http.port}`, tls: config.tls !== undefined }, 'serving gRPC-Web, Connect and REST');
    const ready = serverReadyLine({
      tls: config.tls !== undefined,
      grpc: { host: config.grpcHost, port: grpc.port },
      http: { host: config.httpHost, port: http.port },
      restPath: restPathOf(gateway.router, config.restMounts),
      tokenFile: fs.existsSync(config.adminTokenFile) ? config.adminTokenFile : undefined,
    });
    logger.info(ready.fields, ready.message);

    const stop = () =>
      (stopping ??= (async () => {
        await Promise.all([grpc.shutdown(config.shutdownGraceMs), http.close(config.shutdownGraceMs)]);
        health.stop();
        await settings.drain();
        await store.close();
        logger.info('stopped');
      })());
    const drain = () => {
      draining = true;
      grpc.setServing(false);
    };
    return { instanceId: instance.id, metrics, grpc, http, drain, stop };
  } catch (error) {
    // The gRPC port, when it is the HTTP port that failed.
    await transports.grpc?.shutdown(0);
    await store.close();
    throw error;
  }
}

/** How long a replica waits at start for a PostgreSQL database that cannot be reached. */
const DATABASE_WAIT_MS = 60_000;

/** PostgreSQL when DATABASE_URL is set; else the SQLite file in DATA_DIR, as always. */
async function openStore(
  config: Config,
  logger: Logger,
  verdict: Promise<Verdict> | undefined,
  tightened: (t: Tightened) => void,
): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    // Loaded only here: pg is ~40 ms of every SQLite start-up otherwise.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresStore, postgresFaultCause } = require('./store/postgres/postgres-store') as typeof postgres;
    const url = config.databaseUrl;
    const location = redactUrl(url);
    // Replicas may start before the database does (a compose file, a cluster
    // restart): wait for it a while, saying so, rather than exit at once.
    const waitUntil = performance.now() + DATABASE_WAIT_MS;
    // One line per burst (a restart cuts every connection at once), never the client object.
    const connectionLost = refusalWarning(logger, 'database connections were lost; the pool replaces them', { store: location }, 10_000, 'lost');
    for (let attempt = 1; ; attempt++) {
      try {
        const store = await PostgresStore.open(url, {
          onMigration: (m) => logger.info({ migration: m.version, name: m.name, store: location }, 'migrated database'),
          onConnectionError: connectionLost,
        });
        logger.info({ store: location, version: store.server.version, synchronousCommit: store.server.synchronousCommit }, 'using PostgreSQL');
        return store;
      } catch (error) {
        const cause = postgresFaultCause(error);
        if (cause === undefined) throw error;
        if (performance.now() >= waitUntil) {
          throw new DatabaseOpenError(location, `${cause} (waited ${DATABASE_WAIT_MS / 1000} s): ${(error as Error).message}`, { cause: error });
        }
        if (attempt === 1 || attempt % 10 === 0) logger.warn({ store: location, cause, attempt }, 'waiting for the database');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
  const file = config.databaseFile;
  return SqliteStore.open(file, {
    verify: verdict ? await verdict : true,
    onTightened: tightened,
    onMigration: (m) => logger.info({ migration: m.version, name: m.name, file }, 'migrated database'),
    checkpoints: {
      onFailure: (f) => logger.warn({ reason: f.reason, code: f.code, failures: f.failures, file }, 'WAL checkpoint failed'),
      onRecovery: () => logger.info({ file }, 'WAL checkpoints work again'),
    },
  });
}
