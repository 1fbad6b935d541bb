import type http2 from 'node:http2';
import net from 'node:net';

export interface ConnectionLimits {
  /** Connections past this many are closed as they are accepted. */
  readonly maxConnections: number;
  /** A connection with no open stream for this long is asked to go (GOAWAY), then closed. */
  readonly idleTimeoutMs: number;
  /** A connection must have begun HTTP/2 (TLS handshake, preface, SETTINGS) within this time. */
  readonly handshakeTimeoutMs: number;
  /** Sees each connection refused for the cap. */
  readonly onRefused?: () => void;
}

interface Connection {
  readonly socket: net.Socket;
  session?: http2.ServerHttp2Session;
  streams: number;
  /** Asked to go: closed as soon as its last stream ends. */
  leaving: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Every TCP connection of the gRPC port, owned here rather than by grpc-js:
 * grpc-js can only destroy the sessions it tracks for channelz, and nghttp2
 * leaves a socket open after its own GOAWAY (e.g. COMPRESSION_ERROR for a
 * header field over 64 KiB) without telling anyone. So each socket is
 * counted and capped, cut if it never starts HTTP/2, closed when idle
 * (gRPC's MAX_CONNECTION_IDLE), and destroyed at the end of a shutdown.
 */
export class Connections {
  private readonly open = new Map<net.Socket, Connection>();
  /** Sessions find their socket by the peer's address and port (a TLS session's socket wraps ours). */
  private readonly byPeer = new Map<string, Connection>();
  private readonly bySession = new WeakMap<http2.ServerHttp2Session, Connection>();
  private readonly allClosed: Array<() => void> = [];

  constructor(private readonly limits: ConnectionLimits) {}

  get count(): number {
    return this.open.size;
  }

  /** A socket the listener accepted: true when it may be handed to HTTP/2. */
  accept(socket: net.Socket): boolean {
    if (this.open.size >= this.limits.maxConnections) {
      socket.destroy();
      this.limits.onRefused?.();
      return false;
    }
    const connection: Connection = { socket, streams: 0, leaving: false };
    const peer = peerOf(socket);
    this.open.set(socket, connection);
    this.byPeer.set(peer, connection);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(connection.timer);
      this.open.delete(socket);
      if (this.byPeer.get(peer) === connection) this.byPeer.delete(peer);
      if (this.open.size === 0) this.allClosed.splice(0).forEach((resolve) => resolve());
    });
    connection.timer = setTimeout(() => socket.destroy(), this.limits.handshakeTimeoutMs);
    return true;
  }

  /** The HTTP/2 session on one of our sockets; its SETTINGS end the handshake time. */
  sessionStarted(session: http2.ServerHttp2Session): void {
    const socket = session.socket;
    const connection = socket && this.byPeer.get(peerOf(socket));
    if (!connection) return;
    connection.session = session;
    this.bySession.set(session, connection);
    session.once('remoteSettings', () => {
      if (connection.streams === 0 && !connection.leaving) this.idleFrom(connection);
    });
    session.once('close', () => connection.socket.destroy());
  }

  /** A stream began on a session: the connection is busy until it closes. */
  streamOpened(stream: http2.ServerHttp2Stream): void {
    const connection = this.bySession.get(stream.session as http2.ServerHttp2Session);
    if (!connection) return;
    connection.streams++;
    clearTimeout(connection.timer);
    stream.once('close', () => {
      connection.streams--;
      if (connection.streams > 0) return;
      if (connection.leaving) connection.socket.destroy();
      else this.idleFrom(connection);
    });
  }

  /** Destroys every socket; resolves once all have closed. */
  destroyAll(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.allClosed.push(resolve));
    for (const socket of this.open.keys()) socket.destroy();
    return closed;
  }

  private idleFrom(connection: Connection): void {
    clearTimeout(connection.timer);
    connection.timer = setTimeout(() => {
      // GOAWAY first, so a client starts its next call on a new connection;
      // a stream it opened meanwhile may finish. A session that cannot even
      // close (nghttp2 already ended it) goes with its socket.
      connection.leaving = true;
      try {
        connection.session?.close();
      } catch {
        // already closed or destroyed
      }
      connection.timer = setTimeout(() => {
        if (connection.streams === 0) connection.socket.destroy();
      }, this.limits.handshakeTimeoutMs);
    }, this.limits.idleTimeoutMs);
  }
}

const peerOf = (socket: { remoteAddress?: string; remotePort?: number }): string => `${socket.remoteAddress}|${socket.remotePort}`;

/** A listener whose sockets go through `connections` before `inject` hands them to HTTP/2. */
export async function listen(
  address: { host: string; port: number },
  connections: Connections,
  inject: (socket: net.Socket) => void,
): Promise<net.Server> {
  const listener = net.createServer({ noDelay: true }, (socket) => {
    if (connections.accept(socket)) inject(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(address.port, address.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  return listener;
}
