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
