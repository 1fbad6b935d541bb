import { Codes } from '../errors';

/**
 * The gRPC code for an upstream answer that is not gRPC: an HTTP status
 * other than 200 with no grpc-status, as a proxy in between might send
 * (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md).
 */
export function httpStatusToCode(status: number): number {
  switch (status) {
    case 400:
      return Codes.internal;
    case 401:
      return Codes.unauthenticated;
    case 403:
      return Codes.permissionDenied;
    case 404:
      return Codes.unimplemented;
    case 429: // too many requests
    case 502: // bad gateway
    case 503: // service unavailable
    case 504: // gateway timeout
      return Codes.unavailable;
    default:
      return Codes.unknown;
  }
}
