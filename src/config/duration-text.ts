import type { Duration } from '../domain/duration';

const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

const PART = /(\d+)(ms|s|m|h|d)/gy;

/**
 * Parses an operator's duration: whole numbers with units, as in ZITADEL's
 * configuration ("12h", "720h", "1h30m", "30d", "500ms"). Returns undefined
 * for anything else, so the caller can name the setting that was wrong.
 */
export function parseDurationText(text: string): Duration | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let total = 0n;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const match = PART.exec(trimmed);
    if (!match) return undefined;
    total += BigInt(match[1]!) * UNIT_NANOS[match[2]!]!;
  }
  return { seconds: total / 1_000_000_000n, nanos: Number(total % 1_000_000_000n) };
}

/** The largest whole unit that divides the duration exactly: "12h", "30d", "90s". */
export function formatDurationText(d: Duration): string {
  const total = d.seconds * 1_000_000_000n + BigInt(d.nanos);
  if (total === 0n) return '0s';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_NANOS[unit]!;
    if (total % size === 0n) return `${total / size}${unit}`;
  }
  return `${total}ns`;
}
