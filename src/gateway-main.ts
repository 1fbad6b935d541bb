import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Gateway, type GatewayServer, createGateway, startGatewayServer } from '../gateway/server';
import { upstreamChannel } from '../gateway/upstream-channel';
import { healthRoutes, metricsRoute } from '../gateway/probe-routes';
import { callObserver } from './observability/call-log';
import { Metrics } from './observability/metrics';
import { type Config, ConfigError, helpText, loadConfig } from './config/config';
import { StartError, listenError } from './config/start-error';
import { createLogger, flushAndExit } from './log';
import { gatewayReadyLine, restPathOf } from './ready-line';
import { Signals } from './signals';
import { connectionCaps } from './config/connection-caps';
import { refusalWarning } from './observability/refusals';
import { SERVICE_VERSION, DESCRIPTOR_SET_PATH, PROJECT_ROOT } from './paths';

/**
 * `npm run gateway -- --upstream host:port`: the gateway alone, in front of
 * any gRPC server, as Envoy's grpc_web filter or grpcwebproxy would be. It
 * learns the routes from a descriptor set or a folder of protos.
 */
function descriptorSetOf(config: Config): Uint8Array {
  if (config.descriptorSet !== undefined && config.protoPath !== undefined) {
    throw new ConfigError('give DESCRIPTOR_SET or PROTO_PATH, not both');
  }
  if (config.protoPath !== undefined) {
    const buf = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'buf');
    if (!fs.existsSync(buf)) throw new ConfigError(`PROTO_PATH needs buf (${buf}): npm install with dev dependencies`);
    try {
      return execFileSync(buf, ['build', config.protoPath, '--as-file-descriptor-set', '-o', '-#format=binpb'], {
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      throw new ConfigError(`PROTO_PATH ${config.protoPath}: buf build failed: ${stderr || String(error)}`);
    }
  }
  const file = config.descriptorSet ?? DESCRIPTOR_SET_PATH;
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(`DESCRIPTOR_SET ${file}: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${helpText('gateway')}\n`);
    return;
  }
  let config: Config;
  let descriptorSet: Uint8Array;
  try {
    config = loadConfig(process.env, argv, 'gateway');
    if (config.upstream === undefined) throw new ConfigError('GATEWAY_UPSTREAM (--upstream) is required: the gRPC server to front');
    descriptorSet = descriptorSetOf(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const tlsUpstream = config.upstreamTls || config.upstreamCa !== undefined;
  const upstream = upstreamChannel(config.upstream, {
    tls: tlsUpstream,
    ca: config.upstreamCa,
    userAgent: `oidc-settings-gateway/${SERVICE_VERSION}`,
  });
  const metrics = new Metrics();
  const signals = new Signals();
  let stopping = false;
  let server: GatewayServer;
  let gateway: Gateway;
  const address = { host: config.httpHost, port: config.httpPort };
  try {
    gateway = createGateway({
      call: upstream.call,
      descriptorSet,
      mounts: config.restMounts,
      cors: { origins: config.corsOrigins, allowedHeaders: config.corsAllowedHeaders ?? [], maxAgeSeconds: 7200 },
      maxBodyBytes: config.maxBodyBytes,
      defaultTimeoutMs: config.callTimeoutMs,
      openApi: { title: 'OIDC settings (ZITADEL Admin API)', version: SERVICE_VERSION },
      extraRoutes: [
        // Ready while the upstream is reachable: a load balancer then sends no traffic to a gateway that can only answer 503.
        ...healthRoutes(() => !stopping && upstream.ready()),
        metricsRoute(() => metrics.registry.metrics(), metrics.registry.contentType),
      ],
      onCall: callObserver(logger, metrics),
      onError: (error) => logger.error({ err: error }, 'gateway internal error'),
    });
    server = await startGatewayServer(gateway, address, config.tls, {
      maxConnections: connectionCaps(config, logger, ['http']).http,
      idleTimeoutMs: config.httpIdleTimeoutMs,
      onRefused: refusalWarning(logger, 'connection refused: HTTP_MAX_CONNECTIONS reached', { port: 'http' }),
    }).catch((error: unknown) => {
      throw listenError(error, 'http', address);
    });
  } catch (error) {
    if (error instanceof StartError) logger.fatal({ setting: error.setting, ...error.fields }, error.message);
    else logger.fatal({ err: error }, 'start failed');
    flushAndExit(logger, 1);
    return;
  }
  logger.info(
    { address: `${config.httpHost}:${server.port}`, tls: config.tls !== undefined, upstream: config.upstream, upstreamTls: tlsUpstream },
    'serving gRPC-Web, Connect and REST',
  );
  const ready = gatewayReadyLine({
    tls: config.tls !== undefined,
    http: { host: config.httpHost, port: server.port },
    restPath: restPathOf(gateway.router, config.restMounts),
    upstream: config.upstream,
    upstreamTls: tlsUpstream,
  });
  logger.info(ready.fields, ready.message);
  logger.flush(); // the start lines, at once: scripts wait for them
  // As the server does (main.ts): on SIGTERM, not ready while still
  // serving for SHUTDOWN_DRAIN, then the graceful stop; SIGINT stops at once.
  void signals.untilStop(config.shutdownDrainMs, logger, () => (stopping = true)).then(async (signal) => {
    logger.info({ signal }, 'shutting down');
    stopping = true;
    await server.close(config.shutdownGraceMs);
    upstream.close();
    logger.info('stopped');
    flushAndExit(logger, 0);
  });
}

void main();
