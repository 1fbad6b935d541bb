import fs from 'node:fs';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { createGateway, type GatewayServer, startGatewayServer } from '../gateway/server';
import { redirectRoute, staticRoute } from '../gateway/static';
import { writeAdminTokenFile } from './admin-token-file';
import { OidcSettingsService } from './app/oidc-settings-service';
import { ensureInstance } from './app/setup';
import { Tokens } from './app/tokens';
import type { Config } from './config/config';
import { Code } from './domain/code';
import { adminServiceMethods } from './grpc/admin-service';
import { createDispatcher } from './grpc/dispatcher';
import { type GrpcServer, startGrpcServer } from './grpc/server';
import type { Logger } from './log';
import { SERVICE_VERSION, DESCRIPTOR_SET_PATH, HEALTH_DESCRIPTOR_SET_PATH, WEB_DIST_PATH } from './paths';
import { openDatabase } from './store/database';

export interface RunningServer {
  readonly instanceId: string;
  readonly grpc: GrpcServer;
  /** The in-process gateway: gRPC-Web and REST on the HTTP port. */
  readonly http: GatewayServer;
  /** Graceful stop: NOT_SERVING, refuse new calls, finish those in flight, close the database. */
  stop(): Promise<void>;
}

/**
 * The composition root: opens the store, sets up the instance on first
 * start, builds the core and binds it to its transports.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(config.databaseFile, {
    onMigration: (m) => logger.info({ migration: m.version, name: m.name, file: config.databaseFile }, 'migrated database'),
  });
  try {
    const tokens = new Tokens(db);
    const instance = ensureInstance(db, tokens, {
      seed: config.seedLifetimes,
      deliverAdminToken: (secret) => writeAdminTokenFile(config.adminTokenFile, secret),
    });
    if (instance.created) {
      logger.info(
        { instance: instance.id, seeded: config.seedLifetimes !== undefined, tokenFile: config.adminTokenFile },
        'created the instance and an IAM_OWNER token',
      );
    }
    const settings = new OidcSettingsService(db, instance.id);
    const dispatcher = createDispatcher({
      methods: adminServiceMethods(settings),
      authenticate: (authorization) => tokens.authenticate(authorization),
      onError: (error, request) => {
        if (error.code === Code.Internal) logger.error({ err: error.cause, method: request.method }, 'internal error');
      },
    });
    const descriptorSet = fs.readFileSync(DESCRIPTOR_SET_PATH);
    const grpc = await startGrpcServer(
      {
        handler: dispatcher,
        paths: dispatcher.paths,
        packageDefinition: loadFileDescriptorSetFromBuffer(descriptorSet),
        descriptorSets: [descriptorSet, fs.readFileSync(HEALTH_DESCRIPTOR_SET_PATH)],
        maxReceiveBytes: config.grpcMaxReceiveBytes,
      },
      { host: config.grpcHost, port: config.grpcPort },
    );
    logger.info(
      { address: `${config.grpcHost}:${grpc.port}`, instance: instance.id, tokenFile: config.adminTokenFile },
      'serving gRPC',
    );
    // The gateway calls the dispatcher directly: no network hop, same code path.
    const gateway = createGateway({
      call: dispatcher,
      descriptorSet,
      mounts: config.restMounts,
      cors: { origins: config.corsOrigins, maxAgeSeconds: 7200 },
      maxBodyBytes: config.maxBodyBytes,
      // The settings page (web/) at /ui/. Not at "/": an extra route ending in "/" is a
      // prefix, and "/" would take every GET from the REST routes.
      extraRoutes: [staticRoute({ folder: WEB_DIST_PATH, mount: '/ui/' }), redirectRoute('/', '/ui/'), redirectRoute('/ui', '/ui/')],
      defaultTimeoutMs: config.callTimeoutMs,
      openApi: { title: 'OIDC settings (ZITADEL Admin API)', version: SERVICE_VERSION },
      onError: (error) => logger.error({ err: error }, 'gateway internal error'),
    });
    const http = await startGatewayServer(gateway, { host: config.httpHost, port: config.httpPort });
    logger.info({ address: `${config.httpHost}:${http.port}` }, 'serving gRPC-Web and REST');

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        await Promise.all([grpc.shutdown(config.shutdownGraceMs), http.close()]);
        await settings.drain();
        db.close();
        logger.info('stopped');
      })());
    return { instanceId: instance.id, grpc, http, stop };
  } catch (error) {
    db.close();
    throw error;
  }
}
