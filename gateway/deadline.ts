import type { UnaryCall, UnaryCallRequest, UnaryCallResult } from './unary-call';
import { Codes } from './errors';

const EXCEEDED: UnaryCallResult = { code: Codes.deadlineExceeded, message: 'deadline exceeded' };

/** How often pending calls are checked against their deadlines: a deadline may be passed by this much. */
const SWEEP_MS = 10;

export interface Pending {
  readonly deadline: number;
  readonly expire: () => void;
}

/**
 * Calls waiting for their deadlines. A timer per call cost more than the
 * rest of a REST GET: one sweep every 10 ms serves all calls in flight, and
 * stops while none waits.
 */
export class DeadlineSweep {
  private readonly pending = new Set<Pending>();
  private sweeper: NodeJS.Timeout | undefined;

  /** `expire` runs once the deadline has passed, unless `delete` came first. */
  add(entry: Pending): void {
    this.pending.add(entry);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(this.sweep, SWEEP_MS);
      this.sweeper.unref();
    }
  }

  /** False when the entry had already expired (or was never added). */
  delete(entry: Pending): boolean {
    return this.pending.delete(entry);
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(entry);
      entry.expire();
    }
    if (this.pending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };
}

/**
 * Wraps a unary call so that it answers DEADLINE_EXCEEDED once the deadline
 * passes, whatever the implementation does meanwhile: an upstream channel
 * also cancels its own call; the core in process simply finishes and its
 * answer is dropped. (A client that goes away is the handlers' business.)
 * Every call has a deadline (CALL_TIMEOUT when the client sets none).
 */
export function withDeadline(call: UnaryCall): UnaryCall {
  const sweep = new DeadlineSweep();
  return (request: UnaryCallRequest): Promise<UnaryCallResult> => {
    const { deadline } = request;
    if (deadline === undefined) return call(request);
    if (deadline <= Date.now()) return Promise.resolve(EXCEEDED);
    return new Promise((resolve) => {
      const entry: Pending = { deadline, expire: () => resolve(EXCEEDED) };
      sweep.add(entry);
      const settle = (result: UnaryCallResult) => {
        if (sweep.delete(entry)) resolve(result);
      };
      call(request).then(settle, () => settle({ code: Codes.internal, message: 'internal error' }));
    });
  };
}
