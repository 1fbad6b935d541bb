/**
 * grpc-timeout: at most 8 digits and a unit (H, M, S, m, u, n), as in
 * PROTOCOL-HTTP2.md. Returns milliseconds, or undefined when malformed.
 */
const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

export function grpcTimeoutParse(value: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
