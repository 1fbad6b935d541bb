import * as grpc from '@grpc/grpc-js';
import type { UnaryCall, UnaryCallResult } from './unary-call';

export interface UpstreamOptions {
  readonly credentials?: grpc.ChannelCredentials;
  /** Extra channel options (e.g. grpc.ssl_target_name_override). */
  readonly channelOptions?: grpc.ChannelOptions;
}

export interface UpstreamChannel {
  readonly call: UnaryCall;
  /** Connected to the upstream, or idle since a connection that worked (asking also starts connecting when idle). */
  ready(): boolean;
  close(): void;
}

const identity = (bytes: Buffer) => bytes;

/** Metadata as a record; binary (-bin) values base64, as they travel in HTTP/2. */
function metadataRecord(metadata: grpc.Metadata): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) record[key] = typeof value === 'string' ? value : value.toString('base64');
  return record;
}

/**
 * Unary calls to any gRPC upstream over one grpc-js channel. The channel
 * reconnects on its own; its backoff is capped at 2 s so the gateway is back
 * within moments of the upstream. While the upstream is down, calls fail
 * fast with UNAVAILABLE naming it.
 */
export function upstreamChannel(target: string, options: UpstreamOptions = {}): UpstreamChannel {
  const client = new grpc.Client(target, options.credentials ?? grpc.credentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 2000,
    ...options.channelOptions,
  });

  let reachable = false;
  const call: UnaryCall = (request) =>
    new Promise<UnaryCallResult>((resolve) => {
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(request.metadata)) {
        try {
          if (key.endsWith('-bin')) metadata.set(key, Buffer.from(value, 'base64'));
          else metadata.set(key, value);
        } catch {
          // A header grpc-js refuses as metadata (e.g. non-ASCII value) is not forwarded.
        }
      }
      const callOptions: grpc.CallOptions = request.deadline === undefined ? {} : { deadline: request.deadline };
      let headers: Record<string, string> = {};
      let outcome: UnaryCallResult | undefined;
      // grpc-js calls back, then emits 'status' with the trailers, in one turn.
      const pending = client.makeUnaryRequest(
        request.method,
        identity,
        identity,
        Buffer.from(request.message.buffer, request.message.byteOffset, request.message.byteLength),
        metadata,
        callOptions,
        (error, response) => {
          request.signal?.removeEventListener('abort', cancel);
          if (!error) {
            outcome = { code: 0, message: '', response: response!, metadata: headers };
            return;
          }
          const details = error.metadata?.get('grpc-status-details-bin')[0];
          const message =
            error.code === grpc.status.UNAVAILABLE ? `upstream ${target} unavailable: ${error.details}` : error.details;
          outcome = { code: error.code, message, details: details instanceof Buffer ? details : undefined, metadata: headers };
        },
      );
      pending.on('metadata', (received: grpc.Metadata) => (headers = metadataRecord(received)));
      pending.on('status', (status: grpc.StatusObject) => {
        const trailers = metadataRecord(status.metadata);
        delete trailers['grpc-status-details-bin']; // carried as details
        resolve({ ...(outcome ?? { code: status.code, message: status.details }), trailers });
      });
      const cancel = () => pending.cancel();
      const signal = request.signal;
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });

  return {
    call,
    ready: () => {
      // An upstream closes a connection that carried no call for a while
      // (gRPC's MAX_CONNECTION_IDLE; ours after GRPC_IDLE_TIMEOUT): the
      // channel is then IDLE until asked, which was no sign of trouble. So a
      // channel idle or connecting since its last connection worked still
      // counts as reachable; a failed attempt does not.
      const state = client.getChannel().getConnectivityState(true);
      if (state === grpc.connectivityState.READY) reachable = true;
      else if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) reachable = false;
      return reachable;
    },
    close: () => client.close(),
  };
}
