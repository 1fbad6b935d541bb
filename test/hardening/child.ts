/**
 * What the hardening tests need around test/helpers/child-server.ts: the
 * server with both ports known, the token CLI under a umask, gRPC health,
 * file modes.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { type ChildResult, type SpawnOptions as ChildSpawnOptions, runChildServer, startChildServer } from '../helpers/child-server';
import { CLI } from '../helpers/cli';

export interface Child {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly logs: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  /** Resolves with the first log line (already seen or to come) that matches; rejects if the server exits first. */
  logLine(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<number | null>;
}

export interface SpawnOptions extends ChildSpawnOptions {
  readonly env?: Record<string, string>;
}

/** Starts the server and resolves once both ports are served. */
export async function startServerChild(dataDir: string, options: SpawnOptions = {}): Promise<Child> {
  const server = await startChildServer(dataDir, options.env, options);
  const http = await server.logLine((entry) => entry['msg'] === 'serving gRPC-Web, Connect and REST');
  return {
    child: server.child,
    grpcPort: server.port,
    httpPort: Number(String(http['address']).split(':').at(-1)),
    logs: server.logs,
    exited: server.exited,
    logLine: server.logLine,
    output: server.output,
    stop: () => {
      server.child.kill('SIGTERM');
      return server.exited;
    },
  };
}

/** Runs the server to its end (for starts that must fail); its output, and its exit code. */
export function runServerChild(dataDir: string, options: SpawnOptions = {}): Promise<ChildResult> {
  return runChildServer(dataDir, options.env, [], options);
}

/** The token CLI (oidc-settings token) under a umask. */
export function runTokenCli(dataDir: string, args: string[], umask: string): string {
  return execFileSync('sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, CLI, 'token', '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const healthPackage = grpc.loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
type HealthClient = grpc.Client & {
  Check(req: object, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void): void;
};

/** grpc.health.v1.Health/Check for each service name: their statuses. */
export async function grpcHealth(port: number, services: string[]): Promise<string[]> {
  const client = new healthPackage.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
  try {
    return await Promise.all(
      services.map(
        (service) =>
          new Promise<string>((resolve, reject) =>
            client.Check({ service }, (error, response) => (error ? reject(error) : resolve(response!.status))),
          ),
      ),
    );
  } finally {
    client.close();
  }
}

export const fileMode = (file: string): number => fs.statSync(file).mode & 0o777;
