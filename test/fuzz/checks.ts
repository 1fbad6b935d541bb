/**
 * What every answer to a fuzz case must satisfy, and what an answer tells
 * about writes (an acknowledged Update or Add, with its sequence).
 */
import zlib from 'node:zlib';
import { type DescMessage, fromBinary, fromJsonString } from '@bufbuild/protobuf';
import {
  AddOIDCSettingsRequestSchema,
  AddOIDCSettingsResponseSchema,
  GetOIDCSettingsResponseSchema,
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
  // (Connect has no such rule: bytes that do not inflate are the client's fault, invalid_argument.)
  if (c.transport === 'connect') return false;
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

/** node's --max-http-header-size default: a request head beyond it is refused (431) and the connection closed. */
const MAX_HEAD_BYTES = 16 * 1024;
/** The size of a case's request head over HTTP/1.1: request line, headers, the host and content-length h1Send adds. */
const headBytes = (c: FuzzCase) => `${c.method} ${c.path} HTTP/1.1\r\n`.length + c.headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0) + 64;

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
  // A JSON error body: REST's google.rpc.Status (a numeric code) or a Connect error (a code name),
  // which the Connect fuzz gets for both, and the gRPC-Web fuzz for a Connect content type.
  if (c.transport === 'rest' || c.transport === 'connect' || (c.transport === 'grpc-web' && (answer.headers.find(([n]) => n === 'content-type')?.[1] ?? '').startsWith('application/json'))) {
    try {
      const json = JSON.parse((c.transport === 'connect' ? (connectBody(answer) ?? answer.body) : answer.body).toString('utf8')) as { code?: unknown; message?: unknown };
      if (typeof json.code === 'number' && answer.status !== 200) codes.push(json.code);
      if (typeof json.code === 'string' && answer.status !== 200) codes.push(CONNECT_CODES.indexOf(json.code));
      if (typeof json.message === 'string') messages.push(json.message);
    } catch {
      // not JSON: nothing to read
    }
  }
  return { codes, messages, frames };
}

/*
 * Connect (connectrpc.com/docs/protocol). These are the fuzz's own tables,
 * from the protocol's text, not the gateway's: the oracle must not share
 * the code it judges.
 */

/** Connect's error codes by gRPC code: the gRPC name in lower snake case, CANCELLED spelt "canceled". */
const CONNECT_CODES: readonly string[] = [
  'ok', 'canceled', 'unknown', 'invalid_argument', 'deadline_exceeded', 'not_found', 'already_exists', 'permission_denied', 'resource_exhausted',
  'failed_precondition', 'aborted', 'out_of_range', 'unimplemented', 'internal', 'unavailable', 'data_loss', 'unauthenticated',
];

/** The HTTP status of each Connect error code (connectrpc.com/docs/protocol#error-codes, as since connectrpc.com#130). */
const CONNECT_HTTP_STATUS: Readonly<Record<string, number>> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

/**
 * Refusals before any call, where HTTP has a more precise status than the
 * code's own, and the code each must come with (the gateway's documented
 * ones): no such method (404, as Connect clients read a 404: unimplemented),
 * a method not allowed (405, with Allow), a body or message too large (413),
 * a content type or content coding not offered (415).
 */
const CONNECT_REFUSALS: Readonly<Record<number, string>> = { 404: 'unimplemented', 405: 'unimplemented', 413: 'resource_exhausted', 415: 'unimplemented' };

/**
 * The 5xx a Connect answer may fairly have: 501 with unimplemented (a method
 * the service declares but does not serve: no fault of the server's), and
 * 504 with deadline_exceeded when the client set connect-timeout-ms. Every
 * other 5xx (500, 502, 503; 504 with no timeout set) is the server failing.
 */
function connectFair5xx(c: FuzzCase, status: number, code: string | undefined): boolean {
  return (status === 501 && code === 'unimplemented') || (status === 504 && code === 'deadline_exceeded' && c.deadline);
}

/** A well-formed grpc-timeout (grpc/grpc doc/PROTOCOL-HTTP2.md), which REST routes honour as well. */
const GRPC_TIMEOUT = /^\d{1,8}[HMSmun]$/;

/** A procedure path: "/package.Service/Method". */
const PROCEDURE_PATH = /^\/[A-Za-z_][\w.]*\.[A-Za-z_]\w*\/[A-Za-z_]\w*$/;

const pathOf = (c: FuzzCase) => c.path.split('?')[0]!;

/** Whether a case goes to the REST routes: the REST fuzz's, and the Connect fuzz's to a path that is no procedure's. */
const speaksRest = (c: FuzzCase) => c.transport === 'rest' || (c.transport === 'connect' && !PROCEDURE_PATH.test(pathOf(c)));
const queryOf = (c: FuzzCase) => (c.path.includes('?') ? c.path.slice(c.path.indexOf('?') + 1) : '');

/**
 * Whether a case is a Connect unary call, which must be answered in
 * Connect's terms: a POST to a procedure path (every content type but
 * gRPC-Web's, which the connect generator never sends), or a GET to one that
 * says connect=v1. Anything else (PUT, DELETE, a GET without connect=v1, a
 * path of another shape) is no protocol's call in particular; it gets the
 * common checks and no 2xx.
 */
function isConnectCall(c: FuzzCase): boolean {
  if (!PROCEDURE_PATH.test(pathOf(c))) return false;
  return c.method === 'POST' || (c.method === 'GET' && queryOf(c).split('&').includes('connect=v1'));
}

const OUTPUTS: Readonly<Record<string, DescMessage>> = {
  [PATHS.get]: GetOIDCSettingsResponseSchema,
  [PATHS.update]: UpdateOIDCSettingsResponseSchema,
  [PATHS.add]: AddOIDCSettingsResponseSchema,
};

const headerOf = (answer: { headers: Array<[string, string]> }, name: string) => answer.headers.find(([n]) => n === name)?.[1];

/** A Connect answer's body, inflated when its Content-Encoding says gzip; undefined when it does not inflate. */
function connectBody(answer: Extract<Answer, { kind: 'answered' }>): Buffer | undefined {
  const encoding = (headerOf(answer, 'content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity') return answer.body;
  if (encoding !== 'gzip') return undefined;
  try {
    return zlib.gunzipSync(answer.body);
  } catch {
    return undefined;
  }
}

/** A Connect error body's code, if the body is one at all (a JSON object whose code is a string). */
function connectErrorCode(answer: Extract<Answer, { kind: 'answered' }>): string | undefined {
  if (answer.status === 200) return undefined;
  try {
    const json = JSON.parse((connectBody(answer) ?? answer.body).toString('utf8')) as { code?: unknown };
    return typeof json === 'object' && json !== null && typeof json.code === 'string' ? json.code : undefined;
  } catch {
    return undefined;
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What is wrong with a Connect error body (connectrpc.com/docs/protocol#error-end-stream), if anything. */
function connectErrorShape(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const { code, message, details, ...others } = json as Record<string, unknown>;
  if (typeof code !== 'string' || code === 'ok' || !CONNECT_CODES.includes(code)) return `code ${JSON.stringify(code)} is not a Connect error code`;
  if (message !== undefined && typeof message !== 'string') return 'message is not a string';
  if (Object.keys(others).length > 0) return `fields beside code, message and details: ${Object.keys(others).join(', ')}`;
  if (details === undefined) return undefined;
  if (!Array.isArray(details)) return 'details is not an array';
  for (const detail of details as unknown[]) {
    if (typeof detail !== 'object' || detail === null) return 'a detail is not an object';
    const { type, value } = detail as Record<string, unknown>;
    if (typeof type !== 'string' || type === '' || type.includes('/')) return `a detail's type ${JSON.stringify(type)} is not a message name`;
    if (typeof value !== 'string' || !BASE64.test(value)) return `a detail's value is not base64`;
    // (A detail may also carry "debug", a JSON rendering of it for people.)
    const others = Object.keys(detail).filter((k) => k !== 'type' && k !== 'value' && k !== 'debug');
    if (others.length > 0) return `a detail has fields beside type, value and debug: ${others.join(', ')}`;
  }
  return undefined;
}

/** The codec a Connect answer's content type names ("application/proto", "application/json"). */
function answerCodec(answer: Extract<Answer, { kind: 'answered' }>): string {
  return (headerOf(answer, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Everything a Connect answer must satisfy beside the common checks. */
function connectProblems(c: FuzzCase, answer: Extract<Answer, { kind: 'answered' }>): Problem[] {
  const problems: Problem[] = [];
  const path = pathOf(c);
  const body = connectBody(answer);
  if (body === undefined) return [{ check: 'connect: answer does not inflate', detail: `content-encoding ${headerOf(answer, 'content-encoding')}` }];
  // node's HTTP parser refuses what it cannot read (400) or headers too large (431), bodiless,
  // before any code of the gateway's runs.
  if ((answer.status === 400 || answer.status === 431) && body.length === 0 && headerOf(answer, 'content-type') === undefined) return [];

  // (A REST route may answer 2xx to any method: only procedure paths are judged so.)
  if (PROCEDURE_PATH.test(path) && answer.status >= 200 && answer.status < 300 && !(c.method === 'OPTIONS' && answer.status === 204)) {
    if (c.method !== 'POST') return [{ check: `connect: ${c.method} ran a call`, detail: `HTTP ${answer.status}` }];
    if (answer.status !== 200) return [{ check: `connect: HTTP ${answer.status}`, detail: 'a unary call answers 200 or an error' }];
  }
  if (!isConnectCall(c)) {
    // Not a Connect call: a Connect error body, if it is one, must still be a good one.
    if (connectErrorCode(answer) === undefined) return problems;
  }
  if (answer.status === 200) {
    const output = OUTPUTS[path];
    if (!output) return [{ check: 'connect: 200 for a method not offered', detail: path }];
    if (!c.codec) return [{ check: 'connect: 200 for a content type Connect does not define', detail: String(headerOf(answer, 'content-type')) }];
    const codec = answerCodec(answer);
    if (codec !== `application/${c.codec}`) return [{ check: 'connect: 200 in another codec than the request\'s', detail: `asked application/${c.codec}, answered ${codec}` }];
    try {
      if (c.codec === 'proto') fromBinary(output, body);
      else fromJsonString(output, body.toString('utf8'));
    } catch (error) {
      problems.push({ check: `connect: 200 whose body is not a ${output.typeName}`, detail: String(error).slice(0, 200) });
    }
    return problems;
  }
  if (answerCodec(answer) !== 'application/json') {
    problems.push({ check: 'connect: error not application/json', detail: `HTTP ${answer.status}, content-type ${headerOf(answer, 'content-type')}` });
    return problems;
  }
  const text = body.toString('utf8');
  const shape = connectErrorShape(text);
  if (shape) return [...problems, { check: 'connect: malformed error body', detail: `HTTP ${answer.status}: ${shape}: ${text.slice(0, 160)}` }];
  const code = (JSON.parse(text) as { code: string }).code;
  if (CONNECT_HTTP_STATUS[code] !== answer.status && CONNECT_REFUSALS[answer.status] !== code) {
    problems.push({ check: 'connect: HTTP status does not match the code', detail: `HTTP ${answer.status} with ${code} (${code} is ${CONNECT_HTTP_STATUS[code]})` });
  }
  if (answer.status === 405 && !(headerOf(answer, 'allow') ?? '').split(',').map((m) => m.trim()).includes('POST')) {
    problems.push({ check: 'connect: 405 without Allow: POST', detail: String(headerOf(answer, 'allow')) });
  }
  return problems;
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
    // So does it a request head (request line and headers) past its limit, with 431 (a Connect GET's
    // message rides in the URL).
    const unreadable = /[^\x21-\x7e]/.test(c.path) || !HTTP_METHODS.has(c.method) || headBytes(c) > MAX_HEAD_BYTES;
    if (c.transport !== 'grpc' && !unreadable) return [{ check: 'connection dropped without an answer', detail: answer.detail }];
    return [];
  }
  const problems: Problem[] = [];
  const { codes, messages } = statusesOf(c, answer);
  const fair5xx =
    c.transport !== 'connect'
      ? answer.status === 504 && c.deadline
      : isConnectCall(c)
        ? connectFair5xx(c, answer.status, connectErrorCode(answer))
        : // Not a Connect call (a REST route, say), whose deadline is grpc-timeout's.
          answer.status === 504 && c.headers.some(([n, v]) => n === 'grpc-timeout' && GRPC_TIMEOUT.test(v));
  if (answer.status >= 500 && !fair5xx) {
    problems.push({ check: `HTTP ${answer.status}`, detail: answer.body.toString('utf8').slice(0, 200) });
  }
  for (const code of codes) {
    const name = SERVER_FAULTS.get(code);
    if (name && !(code === 13 && undecompressable(c, messages))) {
      problems.push({ check: c.transport === 'connect' ? `connect code ${CONNECT_CODES[code]}` : `grpc-status ${name}`, detail: messages.join(' | ').slice(0, 200) });
    }
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
    c.transport === 'connect' ? (connectBody(answer)?.toString('latin1') ?? '') : '',
  ].join('\n');
  for (const [name, pattern] of LEAKS) {
    // Only what the server added: an echo of the request is not a leak.
    if (pattern.test(answered) && !pattern.test(sent)) problems.push({ check: `leak: ${name}`, detail: (pattern.exec(answered)?.input ?? '').slice(0, 300) });
  }
  if (c.transport === 'connect') problems.push(...connectProblems(c, answer));
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
  if (speaksRest(c)) return ({ PUT: 'update', POST: 'add' } as const)[c.method];
  // A Connect GET carries its message in the query: any method on the path counts.
  const path = c.transport === 'connect' ? pathOf(c) : c.path;
  return path === PATHS.update ? 'update' : path === PATHS.add ? 'add' : undefined;
}

/** The message a Connect POST carried, inflated as the server reads Content-Encoding; undefined when it does not inflate. */
function connectRequestMessage(c: FuzzCase): Buffer | undefined {
  const encodings = c.headers.filter(([n]) => n === 'content-encoding').map(([, v]) => v);
  if (encodings.length !== 1 || encodings[0]!.trim().toLowerCase() !== 'gzip') return c.body;
  try {
    return zlib.gunzipSync(c.body);
  } catch {
    return undefined;
  }
}

/** The lifetimes a write case asks for, as the server should have read them; undefined when they do not decode. */
function requestedLifetimes(c: FuzzCase, kind: 'update' | 'add'): Ack['lifetimes'] {
  const requestSchema = kind === 'update' ? UpdateOIDCSettingsRequestSchema : AddOIDCSettingsRequestSchema;
  try {
    if (speaksRest(c)) return lifetimesOf(fromJsonString(requestSchema, c.body.toString('utf8'), { ignoreUnknownFields: true }));
    if (c.transport === 'connect') {
      // Only a POST in a codec the server takes can have been accepted; GET is for no write.
      const body = c.method === 'POST' && c.codec ? connectRequestMessage(c) : undefined;
      if (!body) return undefined;
      if (c.codec === 'proto') return lifetimesOf(fromBinary(requestSchema, body));
      // As a UTF-8 decoder reads it: a leading byte order mark is dropped (RFC 8259 §8.1 lets a parser ignore it).
      const text = new TextDecoder('utf-8').decode(body);
      return lifetimesOf(text.trim() === '' ? fromJsonString(requestSchema, '{}') : fromJsonString(requestSchema, text, { ignoreUnknownFields: true }));
    }
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
    if (speaksRest(c)) {
      const response = JSON.parse(answer.body.toString('utf8')) as { details?: { sequence?: string } };
      if (response.details?.sequence === undefined) return undefined;
      sequence = BigInt(response.details.sequence);
    } else if (c.transport === 'connect') {
      const body = connectBody(answer);
      if (!body) return undefined;
      const response = answerCodec(answer) === 'application/json' ? fromJsonString(responseSchema, body.toString('utf8')) : fromBinary(responseSchema, body);
      sequence = response.details?.sequence ?? 0n;
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
    const codes = speaksRest(c) ? [Number(/^\{"code":(\d+)/.exec(answer.body.toString('latin1'))?.[1])] : statusesOf(c, answer).codes;
    if (!codes.includes(4) && !codes.includes(1)) return undefined;
  } else if (answer.kind !== 'reset' && answer.kind !== 'timeout') {
    return undefined;
  }
  const lifetimes = requestedLifetimes(c, kind);
  return lifetimes && { id: c.id, lifetimes };
}
