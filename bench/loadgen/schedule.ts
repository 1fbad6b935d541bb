/**
 * An open-loop schedule: request k is due at start + k / rate, whatever
 * happened to the requests before it. Each request's latency is counted from
 * the moment it was due, not from the moment it went out, so a stall (in the
 * server, or a queue in front of it) counts in full for every request that
 * was due during it. This is what wrk2 calls avoiding coordinated omission;
 * neither wrk nor h2load does it (wrk waits for an answer before the next
 * request on a connection; h2load paces in 10 ms bursts and times from the
 * send).
 *
 * Transport-free: a `Transport` sends one request and reports once.
 */

/** Sends request `index` (its body built by the transport) and calls `done` once, with an error text if it failed. */
export interface Transport {
  send(index: number, done: (error?: string) => void): void;
}

export interface ScheduleResult {
  /** Requests sent, answered, and failed (an answer that was not a success, or none). */
  readonly sent: number;
  readonly done: number;
  readonly errors: number;
  /** Up to five distinct error texts. */
  readonly errorSamples: string[];
  /** From the first request's due time to the last answer. */
  readonly seconds: number;
  /** Latency from each request's due time, ms, ascending (answered requests only). */
  readonly latencies: Float64Array;
  /** How late each request went out, ms, ascending: the generator's own lag. */
  readonly lags: Float64Array;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  /** True if the run was cut off by its time limit before every request was answered. */
  readonly timedOut: boolean;
}

/**
 * Runs `requests` requests at `rate` per second through `transport`.
 *
 * Node timers fire at millisecond resolution, so the pump runs on a 1 ms
 * timer and after every answer, and sends whatever is due; a request can go
 * out up to ~1 ms after its due time, and that lateness is inside its
 * latency (reported apart as the lag).
 */
export function runSchedule(transport: Transport, rate: number, requests: number, limitMs: number): Promise<ScheduleResult> {
  const interval = 1000 / rate;
  const latencies = new Float64Array(requests);
  const lags = new Float64Array(requests);
  const errorSamples = new Set<string>();
  let next = 0;
  let done = 0;
  let errors = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let lastAnswer = 0;
  let timer: NodeJS.Timeout | undefined;
  const start = performance.now() + 5;

  return new Promise((resolve) => {
    const finish = (timedOut: boolean) => {
      if (timer) clearTimeout(timer);
      clearTimeout(limit);
      const answered = latencies.subarray(0, done).sort();
      resolve({
        sent: next,
        done,
        errors,
        errorSamples: [...errorSamples],
        seconds: ((done > 0 ? lastAnswer : performance.now()) - start) / 1000,
        latencies: answered,
        lags: lags.subarray(0, next).sort(),
        maxInFlight,
        timedOut,
      });
    };
    const limit = setTimeout(() => finish(true), limitMs);

    const answer = (index: number) => (error?: string) => {
      const now = performance.now();
      inFlight--;
      if (error !== undefined) {
        errors++;
        if (errorSamples.size < 5) errorSamples.add(error);
      }
      latencies[done++] = now - (start + index * interval);
      lastAnswer = now;
      if (done === requests) finish(false);
      else pump();
    };

    const pump = () => {
      const now = performance.now();
      while (next < requests) {
        const due = start + next * interval;
        if (due > now) break;
        lags[next] = now - due;
        inFlight++;
        if (inFlight > maxInFlight) maxInFlight = inFlight;
        transport.send(next, answer(next));
        next++;
      }
      if (next < requests && timer === undefined) {
        timer = setTimeout(() => {
          timer = undefined;
          pump();
        }, Math.max(0, start + next * interval - now - 0.5));
      }
    };
    setTimeout(() => (requests === 0 ? finish(false) : pump()), 5);
  });
}

/** The q-quantile (0 < q ≤ 1) of ascending values, by nearest rank. */
export const quantileOf = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
