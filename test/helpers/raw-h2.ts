import type http2 from 'node:http2';
import net from 'node:net';

/**
 * HTTP/2 written by hand, for what node:http2's client refuses to send or
 * reacts to on its own: a header field larger than the peer's HPACK decoder
 * takes (the client would close its socket on the GOAWAY that follows), or a
 * connection that is opened and then kept silent.
 */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export const FrameType = { DATA: 0, HEADERS: 1, SETTINGS: 4, GOAWAY: 7, CONTINUATION: 9 } as const;

/** RFC 9113 §4.1: 24-bit length, type, flags, 31-bit stream id, payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** RFC 7541 §5.1 integer with a 7-bit prefix. */
function int7(n: number): Buffer {
  if (n < 127) return Buffer.from([n]);
  const bytes = [127];
  let rest = n - 127;
  while (rest >= 128) {
    bytes.push((rest & 127) | 128);
    rest >>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** RFC 7541 §6.2.2: a literal field, not indexed, no Huffman coding. */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0]), int7(name.length), Buffer.from(name), int7(Buffer.byteLength(value)), Buffer.from(value)]);
}

/** A header block as HEADERS plus as many CONTINUATION frames as 16 KiB frames need. */
export function headersFrames(streamId: number, fields: ReadonlyArray<readonly [string, string]>, endStream: boolean): Buffer {
  const block = Buffer.concat(fields.map(([name, value]) => literal(name, value)));
  const chunks: Buffer[] = [];
  for (let i = 0; i < block.length; i += 16384) chunks.push(block.subarray(i, i + 16384));
  return Buffer.concat(
    chunks.map((chunk, i) => {
      const last = i === chunks.length - 1 ? 0x4 /* END_HEADERS */ : 0;
      const end = i === 0 && endStream ? 0x1 /* END_STREAM */ : 0;
      return frame(i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, last | end, streamId, chunk);
    }),
  );
}

/** A plain TCP connection to 127.0.0.1:port that resolves once connected, and a promise of its 'close'. */
export interface RawConnection {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  /** The types of the frames received so far. */
  received(): number[];
  /** Resolves when a frame of this type has arrived. */
  frameOf(type: number): Promise<void>;
}

export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = net.connect(port, '127.0.0.1');
  const types: number[] = [];
  const waiting: Array<{ type: number; resolve: () => void }> = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9 && pending.length >= 9 + pending.readUIntBE(0, 3)) {
      const type = pending[3]!;
      types.push(type);
      for (const w of waiting.filter((w) => w.type === type)) w.resolve();
      pending = pending.subarray(9 + pending.readUIntBE(0, 3));
    }
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    closed,
    received: () => [...types],
    frameOf: (type) => (types.includes(type) ? Promise.resolve() : new Promise((resolve) => waiting.push({ type, resolve }))),
  };
}

/**
 * Opens a raw connection and sends a gRPC request whose one header field is
 * `headerBytes` long: past 64 KiB nghttp2 answers GOAWAY COMPRESSION_ERROR.
 * The socket is left open, as a client that ignores the GOAWAY would.
 */
export async function sendOversizedHeader(port: number, path: string, headerBytes: number, before?: (connection: RawConnection) => void): Promise<RawConnection> {
  const connection = await rawConnection(port);
  connection.socket.write(PREFACE);
  connection.socket.write(frame(FrameType.SETTINGS, 0, 0));
  before?.(connection);
  connection.socket.write(
    headersFrames(
      101,
      [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', path],
        [':authority', '127.0.0.1'],
        ['content-type', 'application/grpc'],
        ['x-big', 'a'.repeat(headerBytes)],
      ],
      true,
    ),
  );
  return connection;
}

export interface H2Answer {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly trailers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on an open node:http2 session; headers and trailers apart. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('trailers', (t: http2.IncomingHttpHeaders) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('close', () =>
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, trailers, body: Buffer.concat(chunks) }),
    );
    if (body !== undefined) stream.end(body);
  });
}

/** The grpc-status of an answer: from the trailers, or from the headers of a trailers-only answer. */
export const grpcStatusOf = (answer: H2Answer): number | undefined => {
  const value = answer.trailers['grpc-status'] ?? answer.headers['grpc-status'];
  return value === undefined ? undefined : Number(value);
};

/** A length-prefixed gRPC message (PROTOCOL-HTTP2.md): compressed flag, 4-byte length, bytes. */
export function grpcFrame(message: Uint8Array, compressed = false, length = message.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(length, 1);
  return Buffer.concat([prefix, message]);
}
