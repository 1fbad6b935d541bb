import net from 'node:net';
import type { Transport } from './schedule';

/**
 * Unary gRPC calls written as bare HTTP/2 frames. node:http2's client
 * costs ~250 µs of CPU per call, which at the rates the bench paces would
 * take more than the generator's core and make its own lateness the
 * latency measured. Here a call costs two frames out and a few buffer reads
 * in: the request's header block is HPACK-encoded once (literals, no
 * dynamic table, no Huffman), and answers are never decoded, only framed.
 *
 * A call succeeds when its answer carried a message (a DATA frame) and
 * ended with a HEADERS frame (the trailers). A gRPC error comes back as
 * trailers only, without a message, so it counts as a failure; the bench
 * also checks each Update's event against the log.
 */

export interface GrpcRequest {
  /** Full method path, e.g. /zitadel.admin.v1.AdminService/GetOIDCSettings. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Request `index`'s framed message. */
  readonly body: (index: number) => Buffer;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** HTTP/2 frame types (RFC 9113 §6). */
const Type = { Data: 0, Headers: 1, RstStream: 3, Settings: 4, Ping: 6, GoAway: 7, WindowUpdate: 8 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
/** The receive window we open for the whole connection (answers are never refused for flow control). */
const RECEIVE_WINDOW = 2 ** 30;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(stream, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK integer with an n-bit prefix whose high bits are `mask`. */
function hpackInteger(value: number, prefixBits: number, mask: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [mask | value];
  const bytes = [mask | max];
  for (value -= max; value >= 128; value >>>= 7) bytes.push((value & 0x7f) | 0x80);
  bytes.push(value);
  return bytes;
}

const hpackString = (text: string): number[] => {
  const bytes = Buffer.from(text, 'latin1');
  return [...hpackInteger(bytes.length, 7, 0), ...bytes];
};

/** The request's header block: ":method POST" and ":scheme http" from the static table, the rest as literals never indexed. */
function headerBlock(authority: string, path: string, headers: Readonly<Record<string, string>>): Buffer {
  const bytes = [0x83, 0x86];
  // Literal without indexing, name from the static table: :authority (1), :path (4).
  bytes.push(...hpackInteger(1, 4, 0), ...hpackString(authority));
  bytes.push(...hpackInteger(4, 4, 0), ...hpackString(path));
  const all = { 'content-type': 'application/grpc', te: 'trailers', ...headers };
  for (const [name, value] of Object.entries(all)) bytes.push(0x00, ...hpackString(name.toLowerCase()), ...hpackString(value));
  return Buffer.from(bytes);
}

interface Call {
  readonly done: (error?: string) => void;
  gotMessage: boolean;
}

/** One HTTP/2 connection carrying calls on odd stream ids. */
class Connection {
  private readonly calls = new Map<number, Call>();
  private nextStream = 1;
  private sendWindow = 65_535;
  private readonly blocked: Array<{ bytes: Buffer; data: number }> = [];
  private pending: Buffer | undefined;
  private failure: string | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly block: Buffer,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error.message));
    socket.on('close', () => this.fail('connection closed by the server'));
    const settings = frame(Type.Settings, 0, 0, Buffer.alloc(0));
    const window = Buffer.allocUnsafe(4);
    window.writeUInt32BE(RECEIVE_WINDOW - 65_535);
    socket.write(Buffer.concat([PREFACE, settings, frame(Type.WindowUpdate, 0, 0, window)]));
  }

  send(body: Buffer, done: (error?: string) => void): void {
    if (this.failure !== undefined) return done(this.failure);
    const stream = this.nextStream;
    this.nextStream += 2;
    this.calls.set(stream, { done, gotMessage: false });
    const bytes = Buffer.concat([frame(Type.Headers, END_HEADERS, stream, this.block), frame(Type.Data, END_STREAM, stream, body)]);
    // Requests are far smaller than a stream's window; only the connection's is watched.
    if (this.blocked.length > 0 || body.length > this.sendWindow) this.blocked.push({ bytes, data: body.length });
    else this.write(bytes, body.length);
  }

  private write(bytes: Buffer, data: number): void {
    this.sendWindow -= data;
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    let bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    while (bytes.length >= 9) {
      const length = bytes.readUIntBE(0, 3);
      if (bytes.length < 9 + length) break;
      this.onFrame(bytes[3]!, bytes[4]!, bytes.readUInt32BE(5) & 0x7fffffff, bytes.subarray(9, 9 + length));
      bytes = bytes.subarray(9 + length);
    }
    this.pending = bytes.length > 0 ? bytes : undefined;
  }

  private onFrame(type: number, flags: number, stream: number, payload: Buffer): void {
    switch (type) {
      case Type.Data: {
        const call = this.calls.get(stream);
        if (call && payload.length >= 5) call.gotMessage = true;
        if (flags & END_STREAM) this.end(stream, 'the answer ended without trailers');
        return;
      }
      case Type.Headers:
        if (flags & END_STREAM) this.end(stream, undefined);
        return;
      case Type.RstStream:
        this.end(stream, `stream reset (HTTP/2 error ${payload.readUInt32BE(0)})`);
        return;
      case Type.Settings:
        if (!(flags & ACK)) this.socket.write(frame(Type.Settings, ACK, 0, Buffer.alloc(0)));
        return;
      case Type.Ping:
        if (!(flags & ACK)) this.socket.write(frame(Type.Ping, ACK, 0, payload));
        return;
      case Type.GoAway:
        this.fail(`GOAWAY (HTTP/2 error ${payload.readUInt32BE(4)})`);
        return;
      case Type.WindowUpdate:
        if (stream === 0) {
          this.sendWindow += payload.readUInt32BE(0) & 0x7fffffff;
          while (this.blocked.length > 0 && this.blocked[0]!.data <= this.sendWindow) {
            const next = this.blocked.shift()!;
            this.write(next.bytes, next.data);
          }
        }
        return;
    }
  }

  /** A call's answer is complete: a success if it carried a message and no `problem` was seen. */
  private end(stream: number, problem: string | undefined): void {
    const call = this.calls.get(stream);
    if (!call) return;
    this.calls.delete(stream);
    call.done(problem ?? (call.gotMessage ? undefined : 'no message in the answer (a gRPC error, answered as trailers only)'));
  }

  private fail(why: string): void {
    if (this.failure !== undefined) return;
    this.failure = why;
    for (const call of this.calls.values()) call.done(why);
    this.calls.clear();
    this.blocked.length = 0;
    this.socket.destroy();
  }

  close(): void {
    this.failure ??= 'closed';
    this.socket.destroy();
  }
}

/**
 * Unary gRPC calls over `connections` HTTP/2 connections opened before the
 * run, taken in turn. No limit of our own on calls in flight: a call that is
 * due goes out, as many independent clients would send it.
 */
export async function grpcTransport(port: number, connections: number, request: GrpcRequest): Promise<Transport & { close(): void }> {
  const block = headerBlock(`127.0.0.1:${port}`, request.path, request.headers);
  const all: Connection[] = [];
  for (let i = 0; i < connections; i++) {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    all.push(new Connection(socket, block));
  }
  let turn = 0;
  return {
    send(index, done) {
      all[turn++ % all.length]!.send(request.body(index), done);
    },
    close() {
      for (const connection of all) connection.close();
    },
  };
}
