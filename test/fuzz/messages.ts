/**
 * Protobuf messages and gRPC frames for the fuzz: valid ones to start from,
 * and the ways they are broken (bytes of the message, then its framing).
 */
import zlib from 'node:zlib';
import { create, toBinary } from '@bufbuild/protobuf';
import { AddOIDCSettingsRequestSchema, UpdateOIDCSettingsRequestSchema } from '../../gen/es/zitadel/admin_pb';
import type { Prng } from './prng';

export const SERVICE = 'zitadel.admin.v1.AdminService';
export const PATHS = {
  get: `/${SERVICE}/GetOIDCSettings`,
  update: `/${SERVICE}/UpdateOIDCSettings`,
  add: `/${SERVICE}/AddOIDCSettings`,
  healthCheck: '/grpc.health.v1.Health/Check',
  reflectionV1: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  reflectionV1alpha: '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
} as const;

export const LIFETIME_FIELDS = ['accessTokenLifetime', 'idTokenLifetime', 'refreshTokenIdleExpiration', 'refreshTokenExpiration'] as const;
export type LifetimeField = (typeof LIFETIME_FIELDS)[number];

/** A duration the generator sends: valid ones mostly, some the service must refuse. */
export interface Duration {
  readonly seconds: bigint;
  readonly nanos: number;
}

export function randomDuration(rng: Prng): Duration | undefined {
  const roll = rng.int(20);
  if (roll === 0) return undefined; // missing
  if (roll === 1) return { seconds: 0n, nanos: 0 };
  if (roll === 2) return { seconds: -BigInt(rng.range(1, 1000)), nanos: 0 };
  if (roll === 3) return { seconds: 315_576_000_001n + BigInt(rng.int(1000)), nanos: 0 };
  if (roll === 4) return { seconds: BigInt(rng.range(1, 100)), nanos: rng.pick([-1, 1_000_000_000, 2 ** 31 - 1, -(2 ** 31)]) };
  if (roll === 5) return { seconds: rng.pick([2n ** 63n - 1n, -(2n ** 63n)]), nanos: 0 };
  return { seconds: BigInt(rng.range(1, 10_000_000)), nanos: rng.chance(0.2) ? rng.int(1_000_000_000) : 0 };
}

export type Lifetimes = Partial<Record<LifetimeField, Duration>>;

export function randomLifetimes(rng: Prng): Lifetimes {
  const out: Lifetimes = {};
  for (const field of LIFETIME_FIELDS) {
    const value = randomDuration(rng);
    if (value) out[field] = value;
  }
  return out;
}

/** An Update (or Add) request with these lifetimes, in protobuf binary. */
export function lifetimesBinary(kind: 'update' | 'add', lifetimes: Lifetimes): Uint8Array {
  const schema = kind === 'update' ? UpdateOIDCSettingsRequestSchema : AddOIDCSettingsRequestSchema;
  return toBinary(schema, create(schema, lifetimes));
}

/** The message a method path expects, valid (the service may still refuse its values). */
export function validMessage(rng: Prng, path: string): Uint8Array {
  if (path === PATHS.update) return lifetimesBinary('update', randomLifetimes(rng));
  if (path === PATHS.add) return lifetimesBinary('add', randomLifetimes(rng));
  if (path === PATHS.healthCheck) return rng.chance(0.5) ? new Uint8Array(0) : Buffer.concat([Buffer.from([0x0a, 0x00])]);
  // ServerReflectionRequest { list_services: "" } (field 7, a string).
  if (path === PATHS.reflectionV1 || path === PATHS.reflectionV1alpha) return Buffer.from([0x3a, 0x00]);
  return new Uint8Array(0);
}

/** A protobuf varint. */
export function varint(value: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

/** Ways a message's bytes are broken; each returns the new bytes and what it did. */
export function mutateMessage(rng: Prng, message: Uint8Array, maxBytes: number): { bytes: Buffer; tag: string } {
  const m = Buffer.from(message);
  switch (rng.int(11)) {
    case 0: {
      if (m.length === 0) return { bytes: rng.bytes(rng.range(1, 8)), tag: 'msg:random-small' };
      const out = Buffer.from(m);
      for (let i = rng.range(1, 3); i > 0; i--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return { bytes: out, tag: 'msg:bit-flip' };
    }
    case 1:
      return { bytes: m.subarray(0, rng.int(m.length + 1)), tag: 'msg:truncated' };
    case 2:
      return { bytes: Buffer.concat([m, rng.bytes(rng.range(1, 32))]), tag: 'msg:trailing-garbage' };
    case 3:
      return { bytes: rng.bytes(rng.range(1, 256)), tag: 'msg:random' };
    case 4: {
      // Nested groups of an unknown field: a decoder that recurses to skip them may run out of stack.
      const depth = Math.min(rng.pick([100, 1000, 5000, 20000]), Math.floor((maxBytes - 16) / 2));
      return { bytes: Buffer.concat([Buffer.alloc(depth, 0x7b), Buffer.alloc(depth, 0x7c)]), tag: `msg:group-bomb-${depth}` };
    }
    case 5:
      // A varint that never ends.
      return { bytes: Buffer.concat([Buffer.from([0x08]), Buffer.alloc(rng.range(10, 40), 0xff)]), tag: 'msg:endless-varint' };
    case 6:
      // A length-delimited unknown field longer than what follows.
      return { bytes: Buffer.concat([m, Buffer.from([0x7a]), varint(BigInt(rng.pick([100, 2 ** 31, 2 ** 32 + 5]))), rng.bytes(4)]), tag: 'msg:overlong-field' };
    case 7:
      // A known field with the wrong wire type (field 1 as a varint, a fixed64, a fixed32).
      return { bytes: Buffer.concat([Buffer.from([rng.pick([0x08, 0x09, 0x0d])]), rng.bytes(8), m]), tag: 'msg:wrong-wire-type' };
    case 8:
      // Field number 0, and wire types 6 and 7 that do not exist.
      return { bytes: Buffer.concat([Buffer.from([rng.pick([0x00, 0x02, 0x0e, 0x0f, 0x7e])]), rng.bytes(4)]), tag: 'msg:bad-tag' };
    case 9: {
      // A Duration with fields of odd values: a huge varint, nanos as a fixed32.
      const inner = Buffer.concat([Buffer.from([0x08]), varint(rng.pick([2n ** 64n - 1n, 2n ** 63n, 1n << 62n])), Buffer.from([0x10]), varint(rng.pick([2n ** 64n - 1n, 2n ** 32n]))]);
      return { bytes: Buffer.concat([Buffer.from([0x0a, inner.length]), inner, m]), tag: 'msg:huge-varints' };
    }
    default: {
      const at = rng.int(m.length + 1);
      return { bytes: Buffer.concat([m.subarray(0, at), rng.bytes(rng.range(1, 6)), m.subarray(at)]), tag: 'msg:inserted-bytes' };
    }
  }
}

/** A gRPC length-prefixed frame. */
export function frame(message: Uint8Array, flag = 0, length = message.length): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flag;
  header.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([header, message]);
}

export interface Framed {
  readonly body: Buffer;
  readonly tags: string[];
  /** Headers the framing needs (grpc-encoding for a compressed frame). */
  readonly headers: Array<[string, string]>;
}

/** Ways the framing of a message is broken (or not: about a third are well framed). */
export function frameBody(rng: Prng, message: Uint8Array, options: { trailerFrames: boolean }): Framed {
  const roll = rng.int(options.trailerFrames ? 15 : 14);
  switch (roll) {
    case 0:
      return { body: Buffer.alloc(0), tags: ['frame:empty-body'], headers: [] };
    case 1:
      return { body: frame(message).subarray(0, rng.range(1, 4)), tags: ['frame:partial-prefix'], headers: [] };
    case 2:
      return { body: frame(message, 0, message.length + rng.range(1, 1000)), tags: ['frame:length-too-long'], headers: [] };
    case 3:
      return message.length === 0
        ? { body: frame(message, 0, 0x0fffffff), tags: ['frame:length-huge'], headers: [] }
        : { body: frame(message, 0, rng.int(message.length)), tags: ['frame:length-too-short'], headers: [] };
    case 4:
      return { body: frame(message, 1), tags: ['frame:compressed-without-encoding'], headers: [] };
    case 5:
      return { body: frame(message, 1), tags: ['frame:compressed-not-gzip'], headers: [['grpc-encoding', 'gzip']] };
    case 6:
      return { body: frame(zlib.gzipSync(message), 1), tags: ['frame:gzip'], headers: [['grpc-encoding', 'gzip']] };
    case 7:
      return { body: frame(message, 1), tags: ['frame:compressed-unknown-encoding'], headers: [['grpc-encoding', rng.pick(['snappy', 'x-fuzz', 'br'])]] };
    case 8:
      return { body: frame(message, rng.pick([2, 0x40, 0x7f, 0xfe, 0xff])), tags: ['frame:odd-flag'], headers: [] };
    case 9:
      return { body: frame(message, 0, rng.pick([0xffffffff, 0x80000000, 16385, 65537, 4 * 1024 * 1024 + 1])), tags: ['frame:length-oversized'], headers: [] };
    case 10:
      return { body: Buffer.concat([frame(message), frame(message)]), tags: ['frame:two-messages'], headers: [] };
    case 11:
      return { body: Buffer.concat([frame(message), rng.bytes(rng.range(1, 12))]), tags: ['frame:trailing-bytes'], headers: [] };
    case 14:
      // A trailers frame from the client (gRPC-Web marks trailers with 0x80); alone or after the message.
      return rng.chance(0.5)
        ? { body: Buffer.concat([frame(message), frame(Buffer.from('grpc-status: 0\r\n'), 0x80)]), tags: ['frame:client-trailers-after'], headers: [] }
        : { body: frame(Buffer.from('grpc-status: 0\r\nx: y\r\n'), 0x80), tags: ['frame:client-trailers-only'], headers: [] };
    default:
      return { body: frame(message), tags: [], headers: [] };
  }
}
