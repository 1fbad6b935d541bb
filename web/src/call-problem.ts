import { grpc } from '@improbable-eng/grpc-web';
import { GrpcWebError } from '../../gen/client/zitadel/admin';
import { type StatusDetails, statusDetailsDecode } from './status-details';

/**
 * A failed call, sorted by what the operator can do about it. Each kind has
 * its own place on the page: a bad value goes next to its field, a refused
 * token to the token prompt, an unreachable server gets a retry.
 */
export type CallProblem =
  | { readonly kind: 'invalid'; readonly message: string; readonly details: StatusDetails }
  | { readonly kind: 'unauthenticated'; readonly message: string; readonly details: StatusDetails }
  | { readonly kind: 'permission'; readonly message: string; readonly details: StatusDetails }
  | { readonly kind: 'not-found'; readonly message: string; readonly details: StatusDetails }
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'other'; readonly code: number; readonly message: string; readonly details: StatusDetails };

/**
 * improbable-eng/grpc-web reports a request that never got an HTTP answer
 * (network down, CORS refused, server gone) as UNKNOWN with no metadata at
 * all; any answer from the gateway carries grpc-status, in the headers
 * (trailers-only) or the trailers. UNAVAILABLE and DEADLINE_EXCEEDED are
 * worth a retry too.
 */
function unreachable(error: GrpcWebError): boolean {
  if (error.code === grpc.Code.Unavailable || error.code === grpc.Code.DeadlineExceeded) return true;
  return error.metadata.get('grpc-status').length === 0;
}

export function callProblemFrom(error: unknown): CallProblem {
  if (!(error instanceof GrpcWebError)) {
    return { kind: 'other', code: grpc.Code.Unknown, message: String(error), details: { violations: new Map() } };
  }
  if (unreachable(error)) return { kind: 'unreachable', message: error.message };
  const details = statusDetailsDecode(error.metadata.get('grpc-status-details-bin')[0]);
  const message = error.message;
  switch (error.code) {
    case grpc.Code.InvalidArgument:
      return { kind: 'invalid', message, details };
    case grpc.Code.Unauthenticated:
      return { kind: 'unauthenticated', message, details };
    case grpc.Code.PermissionDenied:
      return { kind: 'permission', message, details };
    case grpc.Code.NotFound:
      return { kind: 'not-found', message, details };
    default:
      return { kind: 'other', code: error.code, message, details };
  }
}

/** The error id the server attached (zitadel.v1.ErrorDetail), if any. */
export const problemId = (problem: CallProblem): string | undefined => ('details' in problem ? problem.details.id : undefined);

/**
 * What the server said, without the id that grpc-message ends in (the page
 * shows the id apart): the ErrorDetail's text, else the whole message.
 */
export const problemText = (problem: CallProblem): string => ('details' in problem && problem.details.text) || problem.message;
