/**
 * The one interface between the gateway and whatever serves the calls: a
 * unary call as bytes in and bytes out. Two implementations: the service
 * core in process (wired by the composition root; the gateway never imports
 * src/) and a gRPC channel to any upstream (upstream-channel.ts).
 */
export interface UnaryCallRequest {
  /** The gRPC path, e.g. "/zitadel.admin.v1.AdminService/GetOIDCSettings". */
  readonly method: string;
  /** Request metadata, lower-case keys; binary (-bin) values base64. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The serialized request message. */
  readonly message: Uint8Array;
  /** Milliseconds since the epoch after which the caller no longer waits. */
  readonly deadline?: number;
  /** Aborted when the caller went away. */
  readonly signal?: AbortSignal;
}

export interface UnaryCallResult {
  /** The gRPC status code; 0 is OK. */
  readonly code: number;
  /** The status message, not percent-encoded. */
  readonly message: string;
  /** The serialized response, when code is 0. */
  readonly response?: Uint8Array;
  /** A serialized google.rpc.Status (grpc-status-details-bin). */
  readonly details?: Uint8Array;
  /** Response headers, lower-case keys; binary (-bin) values base64. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Trailers other than the status, lower-case keys; binary (-bin) values base64. */
  readonly trailers?: Readonly<Record<string, string>>;
  /** Facts for logs and metrics an in-process core may add; never sent to the client. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export type UnaryCall = (request: UnaryCallRequest) => Promise<UnaryCallResult>;
