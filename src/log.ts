import fs from 'node:fs';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: one JSON object per line, readable (pino-pretty) when a
 * person watches a terminal. Nothing logs a token, a header or a request:
 * log calls name their fields one by one (tests check that no token gets
 * out), which is also what keeps a line per call cheap.
 */
export function createLogger(level: string): Logger {
  const options: pino.LoggerOptions = { level, base: { service: 'oidc-settings' } };
  if (process.stdout.isTTY) {
    // The start's "ready:" line says its URLs in the message; their fields are for JSON logs.
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard', ignore: 'urls,tokenCommand' } } });
  }
  const destination = new GatheredWrites(1);
  setInterval(() => destination.flushSync(), 100).unref();
  return pino(options, destination);
}

/**
 * A pino destination that gathers lines into writes of about 4 KiB: a write
 * per call line would cost a system call (and a wake-up of the reader) per
 * call. What is gathered goes out at least every 100 ms (createLogger), and
 * at once on flush. Not sonic-boom's minLength: it measures the string it
 * appends to on every write, which flattens it each time (a copy of up to
 * 4 KiB per line, the largest allocation per call in a heap profile).
 */
export class GatheredWrites {
  private lines: string[] = [];
  private length = 0;

  constructor(
    private readonly fd: number,
    private readonly minLength = 4096,
  ) {}

  write(line: string): boolean {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= this.minLength) this.flushSync();
    return true;
  }

  /** pino's logger.flush(cb) calls this; the write is synchronous, so the callback comes at once. */
  flush(callback?: () => void): void {
    this.flushSync();
    callback?.();
  }

  flushSync(): void {
    if (this.lines.length === 0) return;
    const bytes = Buffer.from(this.lines.join(''));
    this.lines = [];
    this.length = 0;
    for (let offset = 0; offset < bytes.length; ) {
      try {
        offset += fs.writeSync(this.fd, bytes, offset);
      } catch (error) {
        // stdout may be a non-blocking pipe whose reader is behind: wait a
        // little. Any other failure (a reader that went away) drops the lines
        // rather than failing the call that logged them.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
    }
  }
}

/** Writes out buffered lines, then exits: nothing logged just before exit is lost. */
export function flushAndExit(logger: Logger, code: number): void {
  // GatheredWrites calls back at once; a pretty-printing transport runs in
  // a worker and is given a second at most.
  logger.flush(() => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
}
