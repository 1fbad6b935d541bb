/**
 * A span of time as google.protobuf.Duration holds it: whole seconds plus
 * nanoseconds, compared exactly. Kept apart from any proto runtime so the
 * domain stays transport-free.
 */
export interface Duration {
  readonly seconds: bigint;
  readonly nanos: number;
}

/** The range google.protobuf.Duration allows: about ±10,000 years. */
export const DURATION_MAX_SECONDS = 315_576_000_000n;
const NANOS_PER_SECOND = 1_000_000_000;

export function duration(seconds: bigint | number, nanos = 0): Duration {
  return { seconds: BigInt(seconds), nanos };
}

export function hours(h: number): Duration {
  return duration(BigInt(h) * 3600n);
}

/**
 * Seconds with a fraction of 0, 3, 6 or 9 digits and an "s", as
 * google.protobuf.Duration is written in JSON: "43200s", "1.500s",
 * "0.000000001s", "-2.5s" reads "-2.500s". For the event log; the API's
 * JSON is left to the protobuf runtime.
 */
export function durationText(d: Duration): string {
  const negative = d.seconds < 0n || d.nanos < 0;
  const seconds = (d.seconds < 0n ? -d.seconds : d.seconds).toString();
  const nanos = Math.abs(d.nanos);
  let fraction = '';
  if (nanos !== 0) {
    const digits = nanos.toString().padStart(9, '0');
    fraction = `.${digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits}`;
  }
  return `${negative ? '-' : ''}${seconds}${fraction}s`;
}

export function durationEquals(a: Duration, b: Duration): boolean {
  return a.seconds === b.seconds && a.nanos === b.nanos;
}

/**
 * Why a value is not a valid, strictly positive duration, or undefined when
 * it is one. Covers the Duration well-formedness rules (nanos in range and
 * of the same sign as seconds, seconds within ±315,576,000,000) and the
 * service's own rule that a lifetime is greater than zero.
 */
export function positiveDurationProblem(d: Duration): string | undefined {
  if (!Number.isInteger(d.nanos) || d.nanos <= -NANOS_PER_SECOND || d.nanos >= NANOS_PER_SECOND) {
    return 'nanos must be between -999999999 and 999999999';
  }
  if (d.seconds > DURATION_MAX_SECONDS || d.seconds < -DURATION_MAX_SECONDS) {
    return 'must be within ±315576000000s';
  }
  if ((d.seconds > 0n && d.nanos < 0) || (d.seconds < 0n && d.nanos > 0)) {
    return 'seconds and nanos must have the same sign';
  }
  if (d.seconds < 0n || (d.seconds === 0n && d.nanos < 0)) return 'must not be negative';
  if (d.seconds === 0n && d.nanos === 0) return 'must be greater than 0';
  return undefined;
}
