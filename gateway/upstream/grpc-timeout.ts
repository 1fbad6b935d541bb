/**
 * A deadline as grpc-timeout: at most 8 digits and a unit
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests).
 * Milliseconds while they fit, then coarser units rounded up, so the
 * upstream never gives up before the gateway does.
 */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['m', 1],
  ['S', 1000],
  ['M', 60_000],
  ['H', 3_600_000],
];
const MAX_DIGITS = 99_999_999;

export function grpcTimeoutEncode(ms: number): string {
  const wait = Math.max(1, Math.ceil(ms));
  for (const [unit, size] of UNITS) {
    const count = Math.ceil(wait / size);
    if (count <= MAX_DIGITS) return `${count}${unit}`;
  }
  return `${MAX_DIGITS}H`;
}
