import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

type LogEntry = Record<string, unknown>;

interface Waiter {
  readonly match: (entry: LogEntry) => boolean;
  readonly resolve: (seen: Seen) => void;
}

/** A log line that matched, and when it arrived (performance.now() ms). */
export interface Seen {
  readonly entry: LogEntry;
  readonly at: number;
}

/**
 * A Node program the bench started: its own process, so that its RSS and
 * CPU can be read from /proc and it competes with the load generator as a
 * deployed server would. Its stdout (JSON log lines) is always read, so a
 * full pipe never stalls it.
 */
export class NodeChild {
  readonly process: ChildProcess;
  readonly spawnedAt: number;
  readonly exited: Promise<number | null>;
  private readonly seen: Seen[] = [];
  private readonly waiters = new Set<Waiter>();
  private stderr = '';
  private exitCode: number | null | undefined;
  private reading = true;

  constructor(
    readonly name: string,
    script: string,
    options: { args?: string[]; env?: Record<string, string>; nodeFlags?: string[] } = {},
  ) {
    this.spawnedAt = performance.now();
    this.process = spawn(process.execPath, [...(options.nodeFlags ?? []), script, ...(options.args ?? [])], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      }),
    );
    this.process.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8000);
    });
    // Lines are split and parsed only until stopReading(): under load the
    // server may log every call, and parsing that here would take CPU from
    // the machine being measured. The pipe is drained either way.
    let pending = '';
    this.process.stdout!.on('data', (chunk: Buffer) => {
      if (!this.reading) return;
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
  }

  /** Stops parsing the log (after the lines waited for); output is still drained. */
  stopReading(): void {
    this.reading = false;
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.process.pid;
  }

  /** Resolves with the first log line (past or future) that matches; rejects if the process exits first. */
  waitFor(match: (entry: LogEntry) => boolean, timeoutMs = 60_000): Promise<Seen> {
    const past = this.seen.find((s) => match(s.entry));
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no matching log line within ${timeoutMs} ms\n${this.stderr}`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (seen) => {
          clearTimeout(timer);
          resolve(seen);
        },
      };
      this.waiters.add(waiter);
      void this.exited.then((code) => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before the expected log line\n${this.stderr}`));
      });
    });
  }

  /** Waits for a log line whose msg is `msg`. */
  waitForMsg(msg: string, timeoutMs?: number): Promise<Seen> {
    return this.waitFor((entry) => entry['msg'] === msg, timeoutMs);
  }

  /** SIGTERM (graceful stop; --cpu-prof writes its profile then), SIGKILL after a while. */
  async stop(graceMs = 20_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private onLine(line: string): void {
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    if (typeof entry !== 'object' || entry === null) return;
    const seen = { entry, at: performance.now() };
    if (this.seen.length < 200) this.seen.push(seen);
    for (const waiter of this.waiters) {
      if (waiter.match(entry)) {
        this.waiters.delete(waiter);
        waiter.resolve(seen);
      }
    }
  }
}

/** A TCP port that was free a moment ago (the bench starts its servers on fixed ports it picked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
