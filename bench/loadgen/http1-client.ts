import net from 'node:net';
import type { Transport } from './schedule';

/** What every request of a run looks like; `body(index)` gives request `index` its own body. */
export interface Http1Request {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: (index: number) => Buffer | undefined;
  /** 'grpc-web': HTTP 200 is not enough, the answer must carry grpc-status 0 (in its trailer frame or its headers). */
  readonly check: 'http' | 'grpc-web';
}

const HEADER_END = Buffer.from('\r\n\r\n');
const GRPC_OK = /grpc-status:\s*0\r\n/i;

/** Whether a chunked body starting at `from` has arrived up to its last (empty) chunk and the blank line after it. */
function chunkedComplete(bytes: Buffer, from: number): boolean {
  let at = from;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return false;
    const size = parseInt(bytes.toString('latin1', at, lineEnd), 16);
    if (size === 0) return bytes.indexOf('\r\n\r\n', lineEnd) >= 0;
    at = lineEnd + 2 + size + 2;
    if (at > bytes.length) return false;
  }
}

/** One keep-alive connection with at most one request on it (no pipelining, as browsers do). */
class Connection {
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private headEnd = -1;
  private bodyBytes = -1;
  private chunked = false;
  private status = 0;
  private done: ((error?: string) => void) | undefined;
  closed = false;

  constructor(
    readonly socket: net.Socket,
    private readonly check: Http1Request['check'],
    private readonly idle: (connection: Connection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.finish('connection closed by the server');
    });
  }

  send(bytes: Buffer, done: (error?: string) => void): void {
    this.done = done;
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
    const all = this.received.length === 1 ? chunk : Buffer.concat(this.received, this.receivedBytes);
    this.received = [all];
    if (this.headEnd < 0) {
      const end = all.indexOf(HEADER_END);
      if (end < 0) return;
      this.headEnd = end + 4;
      const head = all.toString('latin1', 0, end);
      this.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      this.chunked = /\r\ntransfer-encoding:\s*chunked/i.test(head);
      this.bodyBytes = length ? Number(length[1]) : this.chunked ? -1 : 0;
    }
    if (this.chunked ? !chunkedComplete(all, this.headEnd) : all.length < this.headEnd + this.bodyBytes) return;
    let error: string | undefined;
    if (this.status !== 200) error = `HTTP ${this.status}: ${all.toString('utf8', this.headEnd, this.headEnd + 200)}`;
    else if (this.check === 'grpc-web' && !GRPC_OK.test(all.toString('latin1'))) error = `no grpc-status 0 in ${JSON.stringify(all.toString('latin1').slice(-200))}`;
    this.received = [];
    this.receivedBytes = 0;
    this.headEnd = -1;
    this.finish(error);
  }

  private finish(error?: string): void {
    const done = this.done;
    if (!done) return;
    this.done = undefined;
    done(error);
    if (!this.closed) this.idle(this);
  }
}

/**
 * HTTP/1.1 over `connections` keep-alive sockets opened before the run. A
 * request due while every connection is busy waits for the first one free:
 * the wait is part of its latency (the schedule counts from the due time).
 * Idle connections are taken in turn, so each stays warm (and inside the
 * server's keep-alive timeout).
 */
export async function http1Transport(port: number, connections: number, request: Http1Request): Promise<Transport & { close(): void }> {
  const heads = new Map<number, Buffer>();
  const headFor = (length: number | undefined): Buffer => {
    const key = length ?? -1;
    let head = heads.get(key);
    if (!head) {
      const lines = [`${request.method} ${request.path} HTTP/1.1`, `host: 127.0.0.1:${port}`];
      for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
      if (length !== undefined) lines.push(`content-length: ${length}`);
      head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
      heads.set(key, head);
    }
    return head;
  };
  const free: Connection[] = [];
  const waiting: Array<{ index: number; done: (error?: string) => void }> = [];
  const all: Connection[] = [];
  const dispatch = (connection: Connection, index: number, done: (error?: string) => void) => {
    const body = request.body(index);
    connection.send(body ? Buffer.concat([headFor(body.length), body]) : headFor(undefined), done);
  };
  const idle = (connection: Connection) => {
    const queued = waiting.shift();
    if (queued) dispatch(connection, queued.index, queued.done);
    else free.push(connection);
  };
  for (let i = 0; i < connections; i++) {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const connection = new Connection(socket, request.check, idle);
    all.push(connection);
    free.push(connection);
  }
  return {
    send(index, done) {
      let connection = free.shift();
      while (connection?.closed) connection = free.shift();
      if (connection) dispatch(connection, index, done);
      else waiting.push({ index, done });
    },
    close() {
      for (const connection of all) connection.socket.destroy();
    },
  };
}
