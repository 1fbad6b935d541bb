/**
 * A unary call as bytes in and bytes out, free of any transport. The grpc-js
 * server and the in-process gateway both hand their calls to one of these,
 * so every protocol runs the same code after framing.
 */
export interface UnaryRequest {
  /** The gRPC path, e.g. "/zitadel.admin.v1.AdminService/GetOIDCSettings". */
  readonly method: string;
  /** Request metadata with lower-case keys. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The serialized request message. */
  readonly message: Uint8Array;
}

export interface UnaryResult {
  /** grpc-status: 0 for OK. */
  readonly code: number;
  /** grpc-message, not yet percent-encoded; "" for OK. */
  readonly message: string;
  /** The serialized response; present when code is 0. */
  readonly response?: Uint8Array;
  /** A serialized google.rpc.Status (grpc-status-details-bin), for errors. */
  readonly details?: Uint8Array;
  /** Facts for logs and metrics (the instance, the acting token's id); never sent. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export type UnaryHandler = (request: UnaryRequest) => Promise<UnaryResult>;
