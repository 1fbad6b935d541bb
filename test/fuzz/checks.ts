/**
 * What every answer to a fuzz case must satisfy, and what an answer tells
 * about writes (an acknowledged Update or Add, with its sequence).
 */
import zlib from 'node:zlib';
import { fromBinary, fromJsonString } from '@bufbuild/protobuf';
import {
  AddOIDCSettingsRequestSchema,
  AddOIDCSettingsResponseSchema,
  UpdateOIDCSettingsRequestSchema,
  UpdateOIDCSettingsResponseSchema,
} from '../../gen/es/zitadel/admin_pb';
import type { FuzzCase } from './cases';
import { type Duration, LIFETIME_FIELDS, type LifetimeField, PATHS } from './messages';
import type { Answer } from './wire';

/** Codes malformed (or any) input must never get: the server's own failure, not the caller's. */
const SERVER_FAULTS = new Map([
  [2, 'UNKNOWN'],
  [13, 'INTERNAL'],
  [14, 'UNAVAILABLE'],
]);

/**
 * The one INTERNAL the gRPC spec names for a client's bytes: a message that
 * does not inflate with an encoding the server supports ("Could not
 * decompress, but compression algorithm supported", doc/statuscodes.md;
 * grpc-go answers the same). grpc-js answers it before any code of ours runs.
 */
function undecompressable(c: FuzzCase, messages: readonly string[]): boolean {
  const encoding = c.headers.find(([n]) => n === 'grpc-encoding')?.[1];
  return (encoding === 'gzip' || encoding === 'deflate') && messages.every((m) => m === 'Failed to decompress message');
}

/** Signs of a stack trace or a file of ours in an answer. */
const LEAKS: ReadonlyArray<[string, RegExp]> = [
  ['stack frame', /\n\s*at |^\s+at \S+ \(/m],
  ['file path /work/', /\/work\//],
  ['node_modules', /node_modules/],
  ['.ts: location', /\.ts:\d/],
  ['.js: location', /\.js:\d/],
  ['dist/ path', /\/dist\/(src|gateway|gen)\//],
];

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

export interface Problem {
  readonly check: string;
  readonly detail: string;
}

/** A write the server acknowledged, and the lifetimes it was sent with. */
export interface Ack {
  readonly id: string;
  readonly sequence: bigint;
  readonly lifetimes: Partial<Record<LifetimeField, Duration>> | undefined;
}

const grpcMessageDecode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/** gRPC frames in a body; stops at the first incomplete one. */
function framesOf(body: Buffer): Array<{ flag: number; data: Buffer }> {
  const frames: Array<{ flag: number; data: Buffer }> = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const length = body.readUInt32BE(at + 1);
    if (at + 5 + length > body.length) break;
    frames.push({ flag: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return frames;
}

/** The body as gRPC-Web frames: base64 chunks in text mode. */
function grpcWebBody(answer: Extract<Answer, { kind: 'answered' }>): Buffer {
  const type = answer.headers.find(([n]) => n === 'content-type')?.[1] ?? '';
  if (!type.startsWith('application/grpc-web-text')) return answer.body;
  const text = answer.body.toString('latin1');
  return Buffer.concat((text.match(/[^=]*=*/g) ?? []).filter((c) => c !== '').map((c) => Buffer.from(c, 'base64')));
}

/** Every grpc-status / grpc-message the answer carries: headers, trailers, gRPC-Web trailer frames, a REST body. */
function statusesOf(c: FuzzCase, answer: Extract<Answer, { kind: 'answered' }>): { codes: number[]; messages: string[]; frames: Array<{ flag: number; data: Buffer }> } {
  const fields = [...answer.headers, ...answer.trailers];
  let frames: Array<{ flag: number; data: Buffer }> = [];
  if (c.transport === 'grpc') frames = framesOf(answer.body);
  if (c.transport === 'grpc-web') {
    frames = framesOf(grpcWebBody(answer));
    for (const f of frames.filter((f) => f.flag & 0x80)) {
      for (const line of f.data.toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
      }
    }
  }
  const codes = fields.filter(([n]) => n === 'grpc-status').map(([, v]) => Number(v));
  const messages = fields.filter(([n]) => n === 'grpc-message').map(([, v]) => grpcMessageDecode(v));
  if (c.transport === 'rest' || (c.transport === 'grpc-web' && (answer.headers.find(([n]) => n === 'content-type')?.[1] ?? '').startsWith('application/json'))) {
    try {
      const json = JSON.parse(answer.body.toString('utf8')) as { code?: unknown; message?: unknown };
      if (typeof json.code === 'number' && answer.status !== 200) codes.push(json.code);
      if (typeof json.message === 'string') messages.push(json.message);
    } catch {
      // not JSON: nothing to read
    }
  }
  return { codes, messages, frames };
}

const requestText = (c: FuzzCase) => `${c.method} ${c.path}\n${c.headers.map(([n, v]) => `${n}: ${v}`).join('\n')}\n${c.body.toString('latin1')}`;

/** Everything one answer must satisfy. */
export function answerProblems(c: FuzzCase, answer: Answer): Problem[] {
  if (answer.kind === 'timeout') return [{ check: 'hang', detail: 'no answer within the deadline' }];
  if (answer.kind === 'unsendable') return [];
  if (answer.kind === 'reset') {
    // HTTP/2 may refuse a stream it cannot take (headers too large: REFUSED_STREAM, ENHANCE_YOUR_CALM);
    // anything else a gRPC server answers with a status.
    // So may it a request HTTP/2 calls malformed (a :path of "*" with POST).
    const h2Level = c.tags.some((t) => t === 'hdr:huge' || t === 'hdr:many') || !c.path.startsWith('/');
    if (c.transport === 'grpc' && !h2Level) {
      return [{ check: 'reset without status', detail: answer.detail }];
    }
    // node's HTTP/1.1 parser refuses a request line it cannot read (a byte beyond ASCII in the
    // path, an unknown method) with 400 and a close, which may reach a client still sending.
    const unreadable = /[^\x21-\x7e]/.test(c.path) || !HTTP_METHODS.has(c.method);
    if (c.transport !== 'grpc' && !unreadable) return [{ check: 'connection dropped without an answer', detail: answer.detail }];
    return [];
  }
  const problems: Problem[] = [];
  const { codes, messages } = statusesOf(c, answer);
  if (answer.status >= 500 && !(answer.status === 504 && c.deadline)) {
    problems.push({ check: `HTTP ${answer.status}`, detail: answer.body.toString('utf8').slice(0, 200) });
  }
  for (const code of codes) {
    const name = SERVER_FAULTS.get(code);
    if (name && !(code === 13 && undecompressable(c, messages))) problems.push({ check: `grpc-status ${name}`, detail: messages.join(' | ').slice(0, 200) });
  }
  if (c.transport === 'grpc' && answer.status === 200 && codes.length === 0) {
    problems.push({ check: 'no grpc-status', detail: `HTTP 200, ${answer.body.length} bytes` });
  }
  // A method other than POST must not run a gRPC method.
  if (c.method !== 'POST' && c.transport !== 'rest' && answer.status === 200 && codes.includes(0)) {
    problems.push({ check: 'a method other than POST ran the call', detail: `${c.method}: HTTP 200, grpc-status 0` });
  }
  const sent = requestText(c);
  const answered = [
    ...answer.headers.map(([n, v]) => `${n}: ${v}`),
    ...answer.trailers.map(([n, v]) => `${n}: ${v}`),
    ...messages,
    answer.body.toString('latin1'),
    c.transport === 'grpc-web' ? grpcWebBody(answer).toString('latin1') : '',
  ].join('\n');
  for (const [name, pattern] of LEAKS) {
    // Only what the server added: an echo of the request is not a leak.
    if (pattern.test(answered) && !pattern.test(sent)) problems.push({ check: `leak: ${name}`, detail: (pattern.exec(answered)?.input ?? '').slice(0, 300) });
  }
  return problems;
}

function lifetimesOf(message: { [K in LifetimeField]?: { seconds: bigint; nanos: number } }): Partial<Record<LifetimeField, Duration>> {
  const out: Partial<Record<LifetimeField, Duration>> = {};
  for (const field of LIFETIME_FIELDS) {
    const d = message[field];
    if (d) out[field] = { seconds: d.seconds, nanos: d.nanos };
  }
  return out;
}

/** The request message a gRPC or gRPC-Web body carried, as the server should have read it. */
function requestMessage(c: FuzzCase): Buffer | undefined {
  let body = c.body;
  if (c.transport === 'grpc-web' && c.tags.includes('text')) body = Buffer.from(body.toString('latin1'), 'base64');
  const first = framesOf(body)[0];
  if (!first) return undefined;
  if (first.flag & 1) {
    try {
      return zlib.gunzipSync(first.data);
    } catch {
      return undefined;
    }
  }
  return first.data;
}

/** Update or Add, when the case is one of them. */
function writeKind(c: FuzzCase): 'update' | 'add' | undefined {
  return c.transport === 'rest' ? ({ PUT: 'update', POST: 'add' } as const)[c.method] : c.path === PATHS.update ? 'update' : c.path === PATHS.add ? 'add' : undefined;
}

/** The lifetimes a write case asks for, as the server should have read them; undefined when they do not decode. */
function requestedLifetimes(c: FuzzCase, kind: 'update' | 'add'): Ack['lifetimes'] {
  const requestSchema = kind === 'update' ? UpdateOIDCSettingsRequestSchema : AddOIDCSettingsRequestSchema;
  try {
    if (c.transport === 'rest') return lifetimesOf(fromJsonString(requestSchema, c.body.toString('utf8'), { ignoreUnknownFields: true }));
    const message = requestMessage(c);
    return message && lifetimesOf(fromBinary(requestSchema, message));
  } catch {
    return undefined;
  }
}

/**
 * The write an answer acknowledges, if any: an OK answer to Update or Add.
 * `lifetimes` is undefined when this side cannot read the request the server accepted.
 */
export function ackOf(c: FuzzCase, answer: Answer): Ack | undefined {
  if (answer.kind !== 'answered' || answer.status !== 200) return undefined;
  const kind = writeKind(c);
  if (!kind) return undefined;
  const responseSchema = kind === 'update' ? UpdateOIDCSettingsResponseSchema : AddOIDCSettingsResponseSchema;
  try {
    let sequence: bigint;
    if (c.transport === 'rest') {
      const response = JSON.parse(answer.body.toString('utf8')) as { details?: { sequence?: string } };
      if (response.details?.sequence === undefined) return undefined;
      sequence = BigInt(response.details.sequence);
    } else {
      const { codes, frames } = statusesOf(c, answer);
      const data = frames.find((f) => !(f.flag & 0x80));
      if (!codes.includes(0) || !data) return undefined;
      sequence = fromBinary(responseSchema, data.data).details?.sequence ?? 0n;
    }
    return { id: c.id, sequence, lifetimes: requestedLifetimes(c, kind) };
  } catch {
    return undefined;
  }
}

/**
 * A write whose outcome the client cannot know: DEADLINE_EXCEEDED or
 * CANCELLED (gRPC: the call may have completed on the server), a reset
 * stream, or no answer in time. It may be in the event log; only with the
 * values it asked for. Undefined for anything else.
 */
export function unknownOutcomeOf(c: FuzzCase, answer: Answer): Omit<Ack, 'sequence'> | undefined {
  const kind = writeKind(c);
  if (!kind) return undefined;
  if (answer.kind === 'answered') {
    const codes = c.transport === 'rest' ? [Number(/^\{"code":(\d+)/.exec(answer.body.toString('latin1'))?.[1])] : statusesOf(c, answer).codes;
    if (!codes.includes(4) && !codes.includes(1)) return undefined;
  } else if (answer.kind !== 'reset' && answer.kind !== 'timeout') {
    return undefined;
  }
  const lifetimes = requestedLifetimes(c, kind);
  return lifetimes && { id: c.id, lifetimes };
}
