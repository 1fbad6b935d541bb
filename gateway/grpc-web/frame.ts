/**
 * gRPC length-prefixed messages: a flag byte, a 4-byte big-endian length,
 * the payload. In gRPC-Web a flag with the top bit (0x80) set marks the
 * trailer frame. https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md
 */
export const FLAG_COMPRESSED = 0x01;
export const FLAG_TRAILER = 0x80;
const PREFIX = 5;

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

export interface Frame {
  readonly flags: number;
  readonly payload: Uint8Array;
}

/** Splits a request body into frames; throws FrameError on a truncated or overlong frame. */
export function framesParse(body: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < PREFIX) {
      throw new FrameError(`truncated frame: ${body.length - offset} byte(s) where a 5-byte prefix was expected`);
    }
    const flags = body[offset]!;
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    const start = offset + PREFIX;
    if (length > body.length - start) {
      throw new FrameError(`frame length ${length} exceeds the ${body.length - start} byte(s) left in the body`);
    }
    frames.push({ flags, payload: body.subarray(start, start + length) });
    offset = start + length;
  }
  return frames;
}

/** One frame: prefix and payload. */
export function frameSerialize(flags: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX + payload.length);
  frame[0] = flags;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, PREFIX);
  return frame;
}
