import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const MAIN = path.join(__dirname, '../../dist/src/main.js');

export interface ChildServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the first log line (already seen or still to come) that matches; rejects if the server exits first. */
  logLine(match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Everything written to stdout and stderr so far, as text. */
  output(): string;
  readonly exited: Promise<number | null>;
}

export interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How the server process is started beside its environment. */
export interface SpawnOptions {
  /** Runs it through `sh -c 'umask <umask>; exec node ...'`. */
  readonly umask?: string;
  /** Runs it as this user (and group), e.g. 65534 (nobody). */
  readonly uid?: number;
  /** A command it runs under, e.g. ['prlimit', '--nofile=256:256', '--']. */
  readonly prefix?: readonly string[];
}

/** Runs the built server (npm run build) as a child process, as `npm start` would. */
function spawnMain(dataDir: string, env: Record<string, string>, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
  const spawnOptions = {
    env: {
      ...process.env,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      // SIGTERM stops at once, as before draining existed; test/ops/drain.test.ts sets its own.
      SHUTDOWN_DRAIN: '0s',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  };
  const [command, ...rest] = [
    ...(options.umask === undefined ? [] : ['sh', '-c', `umask ${options.umask}; exec "$0" "$@"`]),
    ...(options.prefix ?? []),
    process.execPath,
    MAIN,
    ...args,
  ];
  return spawn(command!, rest, spawnOptions);
}

/** Starts the server and resolves once it logs that it serves gRPC. */
export function startChildServer(dataDir: string, env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<ChildServer> {
  const child = spawnMain(dataDir, env, [], options);
  const logs: Array<Record<string, unknown>> = [];
  const waiting: Array<{ match: (entry: Record<string, unknown>) => boolean; resolve: (entry: Record<string, unknown>) => void }> = [];
  // 'close', not 'exit': it comes once stdout has been read to its end, so
  // the last log lines are in `logs` when `exited` resolves.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stderr = '';
  let all = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    all += chunk.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => (all += chunk.toString()));
  const output = () => all;
  const logLine = (match: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiting.push({ match, resolve });
      void exited.then((code) => reject(new Error(`server exited (${code}) before the log line awaited: ${stderr}`)));
    });
  };
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      for (const w of waiting.filter((w) => w.match(entry))) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(entry);
      }
      if (entry['msg'] === 'serving gRPC') {
        const port = Number(String(entry['address']).split(':').at(-1));
        resolve({ child, port, logs, logLine, output, exited });
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before serving: ${stderr}`)));
  });
}

/** Runs the server to completion (for starts that must fail) and collects its output. */
export function runChildServer(
  dataDir: string,
  env: Record<string, string> = {},
  args: string[] = [],
  options: SpawnOptions = {},
): Promise<ChildResult> {
  const child = spawnMain(dataDir, env, args, options);
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

const GATEWAY_MAIN = path.join(__dirname, '../../dist/src/gateway-main.js');

export interface ChildGateway {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything written to stdout and stderr so far, as text. */
  output(): string;
  readonly exited: Promise<number | null>;
}

/** The standalone gateway (npm run gateway) as a child process; resolves once it serves. */
export function startChildGateway(args: string[], env: Record<string, string> = {}): Promise<ChildGateway> {
  const child = spawn(process.execPath, [GATEWAY_MAIN, '--http-host', '127.0.0.1', '--http-port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', SHUTDOWN_DRAIN: '0s', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stderr = '';
  let all = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    all += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => (all += chunk.toString()));
  const output = () => all;
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry['msg'] === 'serving gRPC-Web, Connect and REST') {
          resolve({ child, port: Number(String(entry['address']).split(':').at(-1)), output, exited });
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before serving: ${stderr}`)));
  });
}

/** Runs the standalone gateway to completion (for starts that must fail) and collects its output. */
export function runChildGateway(args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  const child = spawn(process.execPath, [GATEWAY_MAIN, '--http-host', '127.0.0.1', '--http-port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', SHUTDOWN_DRAIN: '0s', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
