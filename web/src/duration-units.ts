import type { Duration } from '../../gen/client/google/protobuf/duration';

/**
 * Lifetimes in the units an operator thinks in. All arithmetic is on
 * BigInt nanoseconds: a google.protobuf.Duration is exact to the nanosecond
 * (REFERENCE §4), and floating point would turn 1.1 hours into 3959.9999 s.
 */
export const UNITS = [
  { id: 'days', seconds: 86_400n, one: 'day', many: 'days' },
  { id: 'hours', seconds: 3_600n, one: 'hour', many: 'hours' },
  { id: 'minutes', seconds: 60n, one: 'minute', many: 'minutes' },
  { id: 'seconds', seconds: 1n, one: 'second', many: 'seconds' },
] as const;

export type Unit = (typeof UNITS)[number];
export type UnitId = Unit['id'];

/** An amount as typed in the form, with its unit. */
export interface Amount {
  readonly amount: string;
  readonly unit: UnitId;
}

const NANOS = 1_000_000_000n;
const SECONDS: Unit = UNITS[3];

const unitOf = (id: UnitId): Unit => UNITS.find((u) => u.id === id) ?? SECONDS;
const nanosOf = (d: Duration): bigint => BigInt(d.seconds || '0') * NANOS + BigInt(d.nanos);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** "1.5" for 1_500_000_000n: whole seconds, then up to nine digits without trailing zeros. */
function secondsText(nanos: bigint): string {
  const whole = (abs(nanos) / NANOS).toString();
  const fraction = (abs(nanos) % NANOS).toString().padStart(9, '0').replace(/0+$/, '');
  return (nanos < 0n ? '-' : '') + (fraction ? `${whole}.${fraction}` : whole);
}

const counted = (text: string, unit: Unit): string => `${text} ${text === '1' ? unit.one : unit.many}`;

/** "12 hours", "30 days", "1 day 6 hours", "1.5 seconds". */
export function formatDuration(d: Duration): string {
  const total = nanosOf(d);
  let rest = abs(total);
  const parts: string[] = [];
  for (const unit of UNITS) {
    const size = unit.seconds * NANOS;
    if (unit === SECONDS) {
      if (rest > 0n || parts.length === 0) parts.push(counted(secondsText(rest), unit));
      break;
    }
    const count = rest / size;
    rest %= size;
    if (count > 0n) parts.push(counted(count.toString(), unit));
  }
  // The server refuses negative lifetimes; if one is ever shown, it must not look positive.
  return (total < 0n ? '-' : '') + parts.join(' ');
}

/** The largest unit the duration is a whole number of, so 90 days edits as "90 days", not "2160 hours". */
export function durationToAmount(d: Duration): Amount {
  const total = nanosOf(d);
  const unit = UNITS.find((u) => total !== 0n && total % (u.seconds * NANOS) === 0n);
  if (unit) return { amount: (total / (unit.seconds * NANOS)).toString(), unit: unit.id };
  return { amount: secondsText(total), unit: SECONDS.id };
}

const AMOUNT = /^\s*(-?)(\d{1,15})(?:\.(\d{0,9}))?\s*$/;

/**
 * The Duration an amount stands for, or undefined when the text is not a
 * plain decimal number. Zero and negative amounts are passed on: the server
 * decides what is valid, and says so per field.
 */
export function amountToDuration({ amount, unit }: Amount): Duration | undefined {
  const match = AMOUNT.exec(amount);
  if (!match) return undefined;
  const [, sign, whole = '0', fraction = ''] = match;
  const amountNanos = BigInt(whole) * NANOS + BigInt(fraction.padEnd(9, '0'));
  const total = (sign === '-' ? -amountNanos : amountNanos) * unitOf(unit).seconds;
  // BigInt division truncates towards zero, so nanos carry the sign of seconds as the proto requires.
  return { seconds: (total / NANOS).toString(), nanos: Number(total % NANOS) };
}
