import fs from 'node:fs';
import path from 'node:path';
import { NodeChild, freePort } from './children';
import type { EventLogAt } from './events';
import { PATHS, START_FLAGS } from './settings';

/** Every child the bench started, so a failure still stops them all. */
const children = new Set<NodeChild>();

export function track(child: NodeChild): NodeChild {
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => child.stop()));
}

export interface OurServer {
  readonly child: NodeChild;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly token: string;
  /** The SQLite database in its data folder (unused on PostgreSQL). */
  readonly databaseFile: string;
  /** Where its Updates append their events. */
  readonly eventLog: EventLogAt;
  readonly env: Record<string, string>;
  /** Spawn to the "serving gRPC" log line. */
  readonly servingMs: number;
}

export interface ServerOptions {
  readonly nodeFlags?: readonly string[];
  /** Store in this PostgreSQL database instead of SQLite in the data folder. */
  readonly databaseUrl?: string;
  /**
   * The owner token, for a replica joining an instance another one created
   * (only the creator writes admin.pat into its data folder).
   */
  readonly token?: string;
}

function serverEnv(dataDir: string, grpcPort: number, httpPort: number, databaseUrl: string | undefined): Record<string, string> {
  return {
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // Nothing balances over the bench's servers: SIGTERM stops them at once.
    SHUTDOWN_DRAIN: '0s',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
}

/** The built server (`npm start`'s dist/src/main.js), as its own process. */
export async function startServer(name: string, dataDir: string, options: ServerOptions = {}): Promise<OurServer> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const env = serverEnv(dataDir, grpcPort, httpPort, options.databaseUrl);
  const child = track(new NodeChild(name, PATHS.serverMain, { env, nodeFlags: [...START_FLAGS, ...(options.nodeFlags ?? [])] }));
  const serving = await child.waitForMsg('serving gRPC');
  await child.waitForMsg('serving gRPC-Web, Connect and REST');
  child.stopReading();
  const token = options.token ?? fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
  const servingMs = serving.at - child.spawnedAt;
  const databaseFile = path.join(dataDir, 'oidc-settings.db');
  const eventLog = options.databaseUrl ? { postgres: options.databaseUrl } : databaseFile;
  return { child, grpcPort, httpPort, token, databaseFile, eventLog, env, servingMs };
}

/** One of the bench's own programs (dist/bench/servers: a ceiling, the peer), once it logged "ready". */
export async function startBenchServer(name: string, script: string, args: string[]): Promise<NodeChild> {
  const child = track(new NodeChild(name, path.join(PATHS.benchServers, script), { args }));
  await child.waitForMsg('ready');
  child.stopReading();
  return child;
}

/** The standalone gateway (dist/src/gateway-main.js, deployed flags) in front of a gRPC port on this machine, once it serves. */
export async function startGateway(upstreamGrpcPort: number): Promise<{ readonly child: NodeChild; readonly port: number }> {
  const port = await freePort();
  const child = track(
    new NodeChild('gateway', PATHS.gatewayMain, {
      args: ['--upstream', `127.0.0.1:${upstreamGrpcPort}`, '--http-host', '127.0.0.1', '--http-port', String(port)],
      env: { LOG_LEVEL: 'info', SHUTDOWN_DRAIN: '0s' },
      nodeFlags: [...START_FLAGS],
    }),
  );
  await child.waitForMsg('serving gRPC-Web, Connect and REST');
  child.stopReading();
  return { child, port };
}
