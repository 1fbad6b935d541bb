import type { UnaryCall, UnaryCallRequest, UnaryCallResult } from './unary-call';
import { Codes } from './errors';

/**
 * Wraps a unary call so that it answers DEADLINE_EXCEEDED once the deadline
 * passes and CANCELLED once the caller went away, whatever the implementation
 * does meanwhile (an upstream channel also cancels its own call; the core in
 * process simply finishes and its answer is dropped).
 */
export function withDeadline(call: UnaryCall): UnaryCall {
  return (request: UnaryCallRequest): Promise<UnaryCallResult> => {
    if (request.deadline === undefined && request.signal === undefined) return call(request);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (result: UnaryCallResult) => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAbort = () => settle({ code: Codes.cancelled, message: 'the client cancelled the call' });
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      if (request.deadline !== undefined) {
        const left = request.deadline - Date.now();
        if (left <= 0) return settle({ code: Codes.deadlineExceeded, message: 'deadline exceeded' });
        timer = setTimeout(() => settle({ code: Codes.deadlineExceeded, message: 'deadline exceeded' }), left);
      }
      call(request).then(settle, () => settle({ code: Codes.internal, message: 'internal error' }));
    });
  };
}
