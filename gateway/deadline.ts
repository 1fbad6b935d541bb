import type { UnaryCall, UnaryCallRequest, UnaryCallResult } from './unary-call';
import { Codes } from './errors';

/**
 * Wraps a unary call so that it answers DEADLINE_EXCEEDED once the deadline
 * passes, whatever the implementation does meanwhile: an upstream channel
 * also cancels its own call; the core in process simply finishes and its
 * answer is dropped. (A client that goes away is the handlers' business:
 * they stop waiting to write, and an upstream call is cancelled by the
 * request's signal.)
 */
export function withDeadline(call: UnaryCall): UnaryCall {
  return (request: UnaryCallRequest): Promise<UnaryCallResult> => {
    if (request.deadline === undefined) return call(request);
    const left = request.deadline - Date.now();
    if (left <= 0) return Promise.resolve(EXCEEDED);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(EXCEEDED), left);
      call(request).then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        () => {
          clearTimeout(timer);
          resolve({ code: Codes.internal, message: 'internal error' });
        },
      );
    });
  };
}

const EXCEEDED: UnaryCallResult = { code: Codes.deadlineExceeded, message: 'deadline exceeded' };
