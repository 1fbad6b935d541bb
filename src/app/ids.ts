import { randomInt } from 'node:crypto';

// ZITADEL's ids are sonyflake numbers such as "69629023906488334": time in
// 10 ms units since 2014-09-01 in the high bits, then 16 bits of machine and
// 8 of sequence. Here the low 24 bits are random, which keeps ids unique
// across processes (the server and the token CLI) without coordination.
const EPOCH_MS = Date.UTC(2014, 8, 1);

/** A new numeric id, as a decimal string. */
export function newId(now = Date.now()): string {
  const ticks = BigInt(Math.floor((now - EPOCH_MS) / 10));
  return ((ticks << 24n) | BigInt(randomInt(0, 1 << 24))).toString();
}
