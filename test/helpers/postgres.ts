// A real, throwaway PostgreSQL 15 cluster for one jest test file or the bench's
// PostgreSQL section: initdb into a temp folder, pg_ctl start on 127.0.0.1 and a
// free port, trust auth for user `postgres`. fsync and synchronous_commit stay on
// (only initdb skips its sync), so kill() followed by start() exercises real
// crash recovery.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type { EventRow } from './event-row';
import { freePort } from './free-port';

const execFileAsync = promisify(execFile);

/** Upper bounds for each spawned process (pg_ctl itself waits at most 30 s). */
const INITDB_TIMEOUT_MS = 45_000;
const PG_CTL_TIMEOUT_MS = 45_000;
const SHORT_TIMEOUT_MS = 5_000;
/** How long start() keeps trying a first TCP connection after pg_ctl says ready. */
const READY_TIMEOUT_MS = 10_000;

export interface PostgresCluster {
  readonly port: number;
  readonly dir: string;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** CREATE DATABASE with a fresh unique name; returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** pg_ctl stop -m fast (waits). */
  stop(): Promise<void>;
  /** pg_ctl stop -m immediate: like a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and folder (after stop/kill), waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops (immediate) if running and removes the folder. Safe to call twice. */
  destroy(): Promise<void>;
  /** The server log's text, for failure messages. */
  log(): string;
}

let binDirFound: string | null | undefined;

function hasBinaries(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((name) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The folder holding initdb, pg_ctl and postgres, or null: the Debian path, then dpkg's file list, then pg_ctl on PATH. */
function findBinDir(): string | null {
  if (binDirFound !== undefined) return binDirFound;
  const candidates = ['/usr/lib/postgresql/15/bin'];
  try {
    const files = execFileSync('dpkg', ['-L', 'postgresql-15'], { encoding: 'utf8', timeout: SHORT_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
    for (const line of files.split('\n')) if (line.endsWith('/bin/pg_ctl')) candidates.push(path.dirname(line));
  } catch {
    // no dpkg, or the package is not installed
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      // /usr/local/bin/pg_ctl may be a lone symlink; initdb and postgres sit beside its target.
      candidates.push(path.dirname(fs.realpathSync(path.join(dir, 'pg_ctl'))));
    } catch {
      // not here
    }
  }
  // Any other version Debian installed (newest first), as `apt-get install postgresql` gives.
  try {
    const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(path.join('/usr/lib/postgresql', version, 'bin'));
  } catch {
    // none
  }
  binDirFound = candidates.find(hasBinaries) ?? null;
  return binDirFound;
}

/** Whether the PostgreSQL binaries (initdb, pg_ctl, postgres) were found. */
export function postgresAvailable(): boolean {
  return findBinDir() !== null;
}


/** The environment for PostgreSQL's tools, without the caller's PG* settings. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PG')));
}

/** Quotes for /bin/sh, which pg_ctl runs the server command line through. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function describeFailure(what: string, err: unknown): string {
  const e = err as { message?: string; killed?: boolean; signal?: string | null; stdout?: string; stderr?: string };
  const parts = [`${what} failed: ${e.message ?? String(err)}`];
  if (e.killed) parts.push(`(killed by ${e.signal ?? 'a signal'}: timed out)`);
  if (e.stdout?.trim()) parts.push(`--- stdout ---\n${e.stdout.trim()}`);
  if (e.stderr?.trim() && !e.message?.includes(e.stderr.trim())) parts.push(`--- stderr ---\n${e.stderr.trim()}`);
  return parts.join('\n');
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> => {
    const { stdout } = await execFileAsync('id', [flag, 'postgres'], { timeout: SHORT_TIMEOUT_MS });
    const value = Number(stdout.trim());
    if (!Number.isInteger(value)) throw new Error(`id ${flag} postgres printed ${JSON.stringify(stdout)}`);
    return value;
  };
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch (err) {
    throw new Error(`running as root, PostgreSQL needs the \`postgres\` OS user: ${describeFailure('id postgres', err)}`);
  }
}

class Cluster implements PostgresCluster {
  private currentPort: number;
  private destroying: Promise<void> | undefined;
  private databases = 0;

  constructor(
    private readonly binDir: string,
    readonly dir: string,
    port: number,
    /** Run the tools through `runuser -u postgres` (we are root). */
    private readonly asPostgres: boolean,
  ) {
    this.currentPort = port;
  }

  get port(): number {
    return this.currentPort;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  private get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  private get pidFile(): string {
    return path.join(this.dataDir, 'postmaster.pid');
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${encodeURIComponent(database)}`;
  }

  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** The server log's last lines, headed, for an error message. */
  private logTail(lines = 100): string {
    const tail = this.log().trimEnd().split('\n').slice(-lines).join('\n');
    return `--- server log, last ${lines} lines (${this.logFile}) ---\n${tail || '(empty)'}`;
  }

  /** Runs one of PostgreSQL's tools, bounded by `timeout`; the error carries its output and the server log. */
  private async tool(name: string, args: string[], timeout: number): Promise<void> {
    const bin = path.join(this.binDir, name);
    const [file, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    try {
      // cwd: the postgres user may not be allowed into ours.
      await execFileAsync(file, argv, { cwd: this.dir, env: childEnv(), timeout });
    } catch (err) {
      throw new Error(`${describeFailure(name, err)}\n${this.logTail()}`);
    }
  }

  async init(): Promise<void> {
    await this.tool('initdb', ['-D', this.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], INITDB_TIMEOUT_MS);
  }

  /** Starts on a new port: only for startPostgres, when the picked one was taken before the server bound it. */
  async startOnPort(port: number): Promise<void> {
    this.currentPort = port;
    await this.start();
  }

  async start(): Promise<void> {
    if (this.destroying) throw new Error('the PostgreSQL cluster was destroyed');
    const options = [
      '-c listen_addresses=127.0.0.1',
      `-c port=${this.port}`,
      `-c unix_socket_directories=${shellQuote(this.dir)}`,
      '-c max_connections=200',
      '-c shared_buffers=32MB',
    ].join(' ');
    await this.tool('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '30', 'start', '-o', options], PG_CTL_TIMEOUT_MS);
    await this.waitForConnection();
  }

  /** pg_ctl -w already waited for "ready"; this proves it over TCP, as the tests connect. */
  private async waitForConnection(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      try {
        await this.withClient(this.url(), (client) => client.query('SELECT 1'));
        return;
      } catch (err) {
        if (Date.now() >= deadline) {
          throw new Error(`PostgreSQL on port ${this.port} refused connections: ${String(err)}\n${this.logTail()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private async withClient<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 30_000 });
    client.on('error', () => {}); // a server that goes away must not crash the test process
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async createDatabase(prefix = 'test'): Promise<string> {
    const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 32);
    const name = `${/^[a-z_]/.test(clean) ? clean : `db_${clean}`}_${++this.databases}_${crypto.randomBytes(4).toString('hex')}`;
    await this.withClient(this.url(), (client) => client.query(`CREATE DATABASE "${name}"`));
    return this.url(name);
  }

  /** Whether a postmaster may be running (its pid file exists; a crash leaves it behind too). */
  private mayBeRunning(): boolean {
    return fs.existsSync(this.pidFile);
  }

  async stop(): Promise<void> {
    if (this.mayBeRunning()) await this.tool('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], PG_CTL_TIMEOUT_MS);
  }

  async kill(): Promise<void> {
    if (this.mayBeRunning()) await this.tool('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], PG_CTL_TIMEOUT_MS);
  }

  destroy(): Promise<void> {
    this.destroying ??= this.removeEverything();
    return this.destroying;
  }

  private async removeEverything(): Promise<void> {
    try {
      await this.kill();
    } catch {
      await this.signalPostmaster();
    }
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** When pg_ctl could not stop it: SIGQUIT (what -m immediate sends), then SIGKILL after 5 s. */
  private async signalPostmaster(): Promise<void> {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.pidFile, 'utf8').split('\n')[0]);
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1) return;
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      return;
    }
    const deadline = Date.now() + 5_000;
    while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** How many ports startPostgres tries when the one it picked was taken before the server could bind it. */
const PORT_ATTEMPTS = 3;

/** initdb and start a fresh cluster in a temp folder; on failure everything started so far is removed again. */
export async function startPostgres(): Promise<PostgresCluster> {
  const binDir = findBinDir();
  if (binDir === null) {
    throw new Error('PostgreSQL 15 binaries not found (/usr/lib/postgresql/15/bin, dpkg -L postgresql-15, pg_ctl on PATH)');
  }
  const asPostgres = process.getuid?.() === 0;
  const owner = asPostgres ? await postgresUser() : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-'));
  const cluster = new Cluster(binDir, dir, 0, asPostgres);
  try {
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
    fs.chmodSync(dir, 0o700);
    await cluster.init();
    for (let attempt = 1; ; attempt++) {
      const logBefore = cluster.log().length;
      try {
        await cluster.startOnPort(await freePort());
        return cluster;
      } catch (err) {
        const taken = /could not bind|Address already in use/.test(cluster.log().slice(logBefore));
        if (!taken || attempt >= PORT_ATTEMPTS) throw err;
        await cluster.kill();
      }
    }
  } catch (err) {
    await cluster.destroy().catch(() => {});
    throw err;
  }
}

/** One query on a fresh connection; rejects when the server is down. */
export async function pgQuery<T = Record<string, unknown>>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end().catch(() => {});
  }
}

/** The whole event log of a database, as write-load's checks read it. */
export async function readPostgresEvents(url: string): Promise<EventRow[]> {
  const rows = await pgQuery<{ instance_id: string; sequence: string; type: string; payload: unknown }>(
    url,
    'SELECT instance_id, sequence, type, payload FROM events ORDER BY instance_id, sequence',
  );
  return rows.map((r) => ({ instanceId: r.instance_id, sequence: Number(r.sequence), type: r.type, payload: JSON.stringify(r.payload) }));
}
