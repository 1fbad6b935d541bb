import net from 'node:net';
import { PREFACE } from './raw-h2';

/**
 * A TCP relay in front of a cleartext HTTP/2 (gRPC) port that reads the
 * frames clients send on their way through: for each stream, the flag byte
 * of its first gRPC message (PROTOCOL-HTTP2.md: 1 = compressed). Headers are
 * HPACK-coded and not read; the flag alone says what the client put on the
 * wire, which its own API cannot.
 */
export interface H2Tap {
  readonly port: number;
  /** The compressed flag of each request stream's first message, in the order they arrived. */
  requestFlags(): number[];
  clear(): void;
  close(): Promise<void>;
}

const DATA = 0;
const PADDED = 0x8;

export async function startH2Tap(targetPort: number): Promise<H2Tap> {
  let flags: number[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());

    let pending = Buffer.alloc(0);
    let prefaceLeft = PREFACE.length;
    const seen = new Set<number>();
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      if (prefaceLeft > 0) {
        const skipped = Math.min(prefaceLeft, pending.length);
        pending = pending.subarray(skipped);
        prefaceLeft -= skipped;
      }
      while (pending.length >= 9 && pending.length >= 9 + pending.readUIntBE(0, 3)) {
        const length = pending.readUIntBE(0, 3);
        const type = pending[3]!;
        const frameFlags = pending[4]!;
        const stream = pending.readUInt32BE(5) & 0x7fffffff;
        const payload = pending.subarray(9, 9 + length);
        const start = frameFlags & PADDED ? 1 : 0;
        if (type === DATA && payload.length > start && !seen.has(stream)) {
          seen.add(stream);
          flags.push(payload[start]!);
        }
        pending = pending.subarray(9 + length);
      }
    });
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requestFlags: () => [...flags],
    clear: () => void (flags = []),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
