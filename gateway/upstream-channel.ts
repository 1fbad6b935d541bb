import http2, { type ClientHttp2Session, type SecureClientSessionOptions } from 'node:http2';
import { DeadlineSweep } from './deadline';
import { Codes } from './errors';
import type { UnaryCall, UnaryCallRequest, UnaryCallResult } from './unary-call';
import { type StreamSettings, unaryStream } from './upstream/unary-stream';

export interface UpstreamOptions {
  /** Dial over TLS (ALPN h2), trusting the system CAs or `ca`. */
  readonly tls?: boolean;
  /** PEM CA certificate(s) to trust instead of the system's; implies TLS. */
  readonly ca?: Buffer;
  /** The name the upstream's certificate must carry, when it is not the target's host (tests with a self-signed certificate). */
  readonly serverName?: string;
  /** HTTP/2 connections to spread calls over, opened as calls need them (default 2). */
  readonly sessions?: number;
  /** A larger response message ends the call with RESOURCE_EXHAUSTED (default 4 MiB, as grpc-js). */
  readonly maxResponseBytes?: number;
  /** Sent as user-agent. */
  readonly userAgent?: string;
}

export interface UpstreamChannel {
  readonly call: UnaryCall;
  /** Connected to the upstream, or idle since a connection that worked (asking also starts connecting when idle). */
  ready(): boolean;
  close(): void;
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
/** A connection attempt that has not succeeded by then has failed (grpc-js waits 20 s). */
const CONNECT_TIMEOUT_MS = 20_000;

interface Session {
  readonly h2: ClientHttp2Session;
  /** Streams this client has open on it. */
  active: number;
}

/**
 * Unary calls to any gRPC upstream over a few pooled node:http2 sessions:
 * bare HTTP/2 costs less than half the CPU of a grpc-js client per call,
 * and the gateway is only a relay. Sessions open as calls arrive, up to
 * `sessions`, and each call goes to the one with the fewest streams open
 * (beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS, node:http2 holds
 * the stream back until one ends). A session that closes, fails or gets
 * GOAWAY leaves the pool (its streams in flight finish); the next call
 * opens another. A failed attempt backs off 100 ms, doubling to at most
 * 2 s, and while backing off calls fail fast with UNAVAILABLE naming the
 * upstream.
 */
export function upstreamChannel(target: string, options: UpstreamOptions = {}): UpstreamChannel {
  const tls = options.tls === true || options.ca !== undefined;
  const size = Math.max(1, options.sessions ?? 2);
  const settings: StreamSettings = {
    target,
    scheme: tls ? 'https' : 'http',
    userAgent: options.userAgent ?? 'oidc-settings-gateway',
    maxResponseBytes: options.maxResponseBytes ?? 4 * 1024 * 1024,
    sweep: new DeadlineSweep(),
  };
  const authority = `${settings.scheme}://${target}`;
  const connectOptions: SecureClientSessionOptions = tls ? { ca: options.ca, servername: options.serverName } : {};

  const open: Session[] = [];
  /** The attempt under way, if any: calls with no open session wait for it. */
  let connecting: Promise<Session | Error> | undefined;
  let backoffMs = FIRST_BACKOFF_MS;
  let retryAt = 0;
  let lastError = '';
  let reachable = false;
  let closed = false;
  let turn = 0;

  const leave = (session: Session) => {
    const index = open.indexOf(session);
    if (index >= 0) open.splice(index, 1);
  };

  const connect = (): Promise<Session | Error> => {
    const attempt = new Promise<Session | Error>((resolve) => {
      const h2 = http2.connect(authority, connectOptions);
      const session: Session = { h2, active: 0 };
      const timer = setTimeout(() => h2.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      timer.unref();
      let up = false;
      h2.once('connect', () => {
        clearTimeout(timer);
        up = true;
        if (closed) {
          h2.close();
          resolve(new Error('channel closed'));
          return;
        }
        reachable = true;
        backoffMs = FIRST_BACKOFF_MS;
        retryAt = 0;
        open.push(session);
        resolve(session);
      });
      // GOAWAY: no new streams here; node:http2 closes the session once its streams end (or at once on an error code).
      h2.on('goaway', () => leave(session));
      h2.on('error', (error: Error) => {
        lastError = error.message;
      });
      h2.once('close', () => {
        clearTimeout(timer);
        leave(session);
        if (up) return;
        // The attempt failed: back off before the next one.
        reachable = false;
        retryAt = Date.now() + backoffMs;
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        resolve(new Error(lastError || 'connection closed'));
      });
    });
    connecting = attempt;
    void attempt.then(() => {
      if (connecting === attempt) connecting = undefined;
    });
    return attempt;
  };

  const unavailable = (reason: string): UnaryCallResult => ({ code: Codes.unavailable, message: `upstream ${target} unavailable: ${reason}` });

  /** The open session with the fewest streams of ours, taking turns among equals; grows the pool while it is not full. */
  const pick = (): Session | undefined => {
    if (connecting === undefined && open.length > 0 && open.length < size && Date.now() >= retryAt) void connect();
    let best: Session | undefined;
    const start = turn++ % Math.max(1, open.length);
    for (let i = 0; i < open.length; i++) {
      const session = open[(start + i) % open.length]!;
      if (session.h2.closed || session.h2.destroyed) continue;
      if (best === undefined || session.active < best.active) best = session;
    }
    return best;
  };

  const run = async (session: Session, request: UnaryCallRequest): Promise<UnaryCallResult> => {
    session.active++;
    try {
      return await unaryStream(session.h2, request, settings);
    } finally {
      session.active--;
    }
  };

  const call: UnaryCall = async (request) => {
    if (closed) return unavailable('channel closed');
    const session = pick();
    if (session) return run(session, request);
    if (connecting === undefined && Date.now() < retryAt) return unavailable(lastError || 'not connected');
    const made = await (connecting ?? connect());
    if (made instanceof Error) return unavailable(made.message);
    return run(made, request);
  };

  return {
    call,
    ready: () => {
      if (open.length > 0) return true;
      if (!closed && connecting === undefined && Date.now() >= retryAt) void connect();
      // An upstream closes a connection that carried no call for a while
      // (gRPC's MAX_CONNECTION_IDLE; ours after GRPC_IDLE_TIMEOUT): no sign
      // of trouble. So idle or connecting since the last connection worked
      // still counts as reachable; a failed attempt does not.
      return reachable;
    },
    close: () => {
      closed = true;
      for (const session of open.splice(0)) session.h2.close();
    },
  };
}
