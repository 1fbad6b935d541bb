import { create, toBinary } from '@bufbuild/protobuf';
import { UpdateOIDCSettingsRequestSchema } from '../../gen/es/zitadel/admin_pb';

/**
 * Request bodies for the load generators. Update bodies vary: every request
 * carries an access token lifetime of its own (a number of seconds never
 * sent before in this run of the bench), so every Update is an effective
 * change that appends an event, whatever order concurrent calls reach the
 * writer in. The value travels as a 4-byte varint in protobuf (so a binary
 * body keeps its length and can be patched in place) and as decimal text in
 * JSON.
 */

/** Values that encode as exactly 4 varint bytes: [2^21, 2^28) seconds, 24 days to 8.5 years. */
const FIRST_VALUE = 2 ** 21;
const LAST_VALUE = 2 ** 28 - 1;
/** Each run gets its own block of values; no run sends more requests than this. */
export const VALUE_BLOCK = 1_000_000;

/** Hands out disjoint blocks of lifetime values, one per run. */
export class ValueBlocks {
  private next = FIRST_VALUE;

  take(): number {
    const first = this.next;
    if (first + VALUE_BLOCK - 1 > LAST_VALUE) throw new Error('out of 4-byte varint values for Update bodies');
    this.next += VALUE_BLOCK;
    return first;
  }
}

/** The three lifetimes that stay put: ZITADEL's defaults for ID and refresh tokens. */
const FIXED = { idTokenLifetime: 43_200n, refreshTokenIdleExpiration: 2_592_000n, refreshTokenExpiration: 7_776_000n };

/** A message in the gRPC length-prefixed frame (flag 0, big-endian length). */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** The empty message (GetOIDCSettingsRequest, HealthCheckRequest), framed. */
export const EMPTY_FRAME = grpcFrame(new Uint8Array(0));

export interface VaryingBinary {
  /** A framed UpdateOIDCSettingsRequest. */
  readonly frame: Buffer;
  /** Where in `frame` the 4-byte varint of the access token lifetime starts. */
  readonly offset: number;
  /** The frame split around that varint, for load generators that build each body. */
  readonly before: Buffer;
  readonly after: Buffer;
}

/** 4-byte varint of a value in [2^21, 2^28). */
export function varint4(value: number): Buffer {
  if (value < FIRST_VALUE || value > LAST_VALUE) throw new Error(`${value} is not a 4-byte varint`);
  return Buffer.from([(value & 0x7f) | 0x80, ((value >>> 7) & 0x7f) | 0x80, ((value >>> 14) & 0x7f) | 0x80, value >>> 21]);
}

/** The framed binary Update request, and where its varying varint sits. */
export function updateBinary(value = FIRST_VALUE): VaryingBinary {
  // A marker value with a byte pattern found nowhere else in the message.
  const marker = 0x0fedcba;
  const message = toBinary(
    UpdateOIDCSettingsRequestSchema,
    create(UpdateOIDCSettingsRequestSchema, {
      accessTokenLifetime: { seconds: BigInt(marker) },
      idTokenLifetime: { seconds: FIXED.idTokenLifetime },
      refreshTokenIdleExpiration: { seconds: FIXED.refreshTokenIdleExpiration },
      refreshTokenExpiration: { seconds: FIXED.refreshTokenExpiration },
    }),
  );
  const frame = grpcFrame(message);
  const pattern = varint4(marker);
  const offset = frame.indexOf(pattern);
  if (offset < 0 || frame.indexOf(pattern, offset + 1) >= 0) throw new Error('cannot locate the lifetime varint in the Update body');
  varint4(value).copy(frame, offset);
  return { frame, offset, before: frame.subarray(0, offset), after: frame.subarray(offset + 4) };
}

/** The proto3 JSON Update body, split around the access token lifetime's seconds. */
export function updateJson(): { before: string; after: string; example: string } {
  const before = '{"accessTokenLifetime":"';
  const after =
    `s","idTokenLifetime":"${FIXED.idTokenLifetime}s","refreshTokenIdleExpiration":"${FIXED.refreshTokenIdleExpiration}s",` +
    `"refreshTokenExpiration":"${FIXED.refreshTokenExpiration}s"}`;
  return { before, after, example: `${before}${FIRST_VALUE}${after}` };
}
