/**
 * gRPC status code -> HTTP status, as grpc-gateway v2's
 * runtime.HTTPStatusFromCode and Envoy's grpcToHttpStatus map them
 * (https://github.com/grpc-ecosystem/grpc-gateway/blob/main/runtime/errors.go).
 */
export function codeToHttpStatus(code: number): number {
  switch (code) {
    case 0: // OK
      return 200;
    case 1: // CANCELLED: nginx's "client closed request"
      return 499;
    case 2: // UNKNOWN
      return 500;
    case 3: // INVALID_ARGUMENT
      return 400;
    case 4: // DEADLINE_EXCEEDED
      return 504;
    case 5: // NOT_FOUND
      return 404;
    case 6: // ALREADY_EXISTS
      return 409;
    case 7: // PERMISSION_DENIED
      return 403;
    case 8: // RESOURCE_EXHAUSTED
      return 429;
    case 9: // FAILED_PRECONDITION: the client must fix state first, not retry as is
      return 400;
    case 10: // ABORTED: a concurrency conflict
      return 409;
    case 11: // OUT_OF_RANGE
      return 400;
    case 12: // UNIMPLEMENTED
      return 501;
    case 13: // INTERNAL
      return 500;
    case 14: // UNAVAILABLE
      return 503;
    case 15: // DATA_LOSS
      return 500;
    case 16: // UNAUTHENTICATED
      return 401;
    default:
      return 500;
  }
}

/** The status names used in error messages, by code. */
export const CODE_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
