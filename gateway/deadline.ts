import type { UnaryCall, UnaryCallRequest, UnaryCallResult } from './unary-call';
import { Codes } from './errors';

const EXCEEDED: UnaryCallResult = { code: Codes.deadlineExceeded, message: 'deadline exceeded' };

/** How often pending calls are checked against their deadlines: a deadline may be passed by this much. */
const SWEEP_MS = 10;

interface Pending {
  readonly deadline: number;
  readonly expire: () => void;
}

/**
 * Wraps a unary call so that it answers DEADLINE_EXCEEDED once the deadline
 * passes, whatever the implementation does meanwhile: an upstream channel
 * also cancels its own call; the core in process simply finishes and its
 * answer is dropped. (A client that goes away is the handlers' business.)
 *
 * Every call has a deadline (CALL_TIMEOUT when the client sets none), and a
 * timer per call cost more than the rest of a REST GET: one sweep every
 * 10 ms serves all calls in flight instead.
 */
export function withDeadline(call: UnaryCall): UnaryCall {
  const pending = new Set<Pending>();
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const entry of pending) if (entry.deadline <= now) entry.expire();
    if (pending.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  return (request: UnaryCallRequest): Promise<UnaryCallResult> => {
    const { deadline } = request;
    if (deadline === undefined) return call(request);
    if (deadline <= Date.now()) return Promise.resolve(EXCEEDED);
    return new Promise((resolve) => {
      const entry: Pending = {
        deadline,
        expire: () => {
          pending.delete(entry);
          resolve(EXCEEDED);
        },
      };
      pending.add(entry);
      if (sweeper === undefined) {
        sweeper = setInterval(sweep, SWEEP_MS);
        sweeper.unref();
      }
      const settle = (result: UnaryCallResult) => {
        if (pending.delete(entry)) resolve(result);
      };
      call(request).then(settle, () => settle({ code: Codes.internal, message: 'internal error' }));
    });
  };
}
