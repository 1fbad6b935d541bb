import { codeToHttpStatus } from './http-status';

/**
 * A request the gateway refuses before any call is made: unknown path,
 * wrong method, wrong content type, malformed body, too large. It is
 * answered like an RPC error (grpc-gateway's mux.go habit): a gRPC code and
 * message, as a google.rpc.Status body over REST or grpc-status over gRPC-Web.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly code: number,
    message: string,
    /** The HTTP status, when it is not the one the code maps to (405, 413, 415). */
    readonly httpStatus: number = codeToHttpStatus(code),
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const Codes = {
  cancelled: 1,
  unknown: 2,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  permissionDenied: 7,
  resourceExhausted: 8,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;
