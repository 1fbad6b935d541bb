/**
 * The built server (npm run build) as a child process, with what the
 * hardening tests need beyond test/helpers/child-server.ts: a umask, another
 * user, and a way to wait for a given log line.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

export const MAIN = path.join(__dirname, '../../dist/src/main.js');
export const TOKEN_CLI = path.join(__dirname, '../../dist/src/cli/token.js');

export interface Child {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly logs: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  /** Resolves with the first log line (already seen or to come) that matches. */
  logLine(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  readonly env?: Record<string, string>;
  /** Runs the server through `sh -c 'umask <umask>; exec node ...'`. */
  readonly umask?: string;
  /** Runs the server as this user (and group), e.g. 65534 (nobody). */
  readonly uid?: number;
}

function spawnServer(dataDir: string, options: SpawnOptions): ChildProcess {
  const env = {
    ...process.env,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const ids = options.uid === undefined ? {} : { uid: options.uid, gid: options.uid };
  if (options.umask !== undefined) {
    return spawn('sh', ['-c', `umask ${options.umask}; exec "$0" "$1"`, process.execPath, MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
  }
  return spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
}

/** Starts the server and resolves once both ports are served. */
export function startServerChild(dataDir: string, options: SpawnOptions = {}): Promise<Child> {
  const child = spawnServer(dataDir, options);
  const logs: Array<Record<string, unknown>> = [];
  const waiting: Array<{ match: (entry: Record<string, unknown>) => boolean; resolve: (entry: Record<string, unknown>) => void }> = [];
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let grpcPort = 0;
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      for (const w of [...waiting]) {
        if (w.match(entry)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(entry);
        }
      }
      const port = () => Number(String(entry['address']).split(':').at(-1));
      if (entry['msg'] === 'serving gRPC') grpcPort = port();
      if (entry['msg'] === 'serving gRPC-Web and REST') {
        resolve({
          child,
          grpcPort,
          httpPort: port(),
          logs,
          exited,
          logLine: (match) => {
            const seen = logs.find(match);
            return seen ? Promise.resolve(seen) : new Promise((r) => waiting.push({ match, resolve: r }));
          },
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before serving: ${stderr}`)));
  });
}

/** Runs the server to its end (for starts that must fail); its output, and its exit code. */
export function runServerChild(dataDir: string, options: SpawnOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnServer(dataDir, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The token CLI (npm run token) under a umask. */
export function runTokenCli(dataDir: string, args: string[], umask: string): string {
  return execFileSync('sh', ['-c', `umask ${umask}; exec "$0" "$@"`, process.execPath, TOKEN_CLI, '--data-dir', dataDir, ...args], {
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
