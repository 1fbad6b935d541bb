/**
 * The fuzz cases: one seeded generator per protocol. A case is plain data
 * (method, path, headers, body) so that it can be printed and sent again
 * exactly; its seed alone rebuilds it (caseSeed in prng.ts).
 */
import zlib from 'node:zlib';
import { type Duration, PATHS, type Framed, frame, frameBody, LIFETIME_FIELDS, mutateMessage, randomLifetimes, validMessage } from './messages';
import { Prng, caseSeed } from './prng';

export type Transport = 'grpc' | 'grpc-web' | 'rest' | 'connect';

/** A Connect message codec: application/proto or application/json. */
export type ConnectCodec = 'proto' | 'json';

const contentTypeOf = (codec: ConnectCodec): string => `application/${codec}`;

export interface FuzzCase {
  readonly transport: Transport;
  /** "grpc#57": with FUZZ_SEED, reruns this case alone (FUZZ_CASE=grpc#57). */
  readonly id: string;
  /** What was broken, for grouping failures. */
  readonly tags: string[];
  readonly method: string;
  readonly path: string;
  /** In order, repeats allowed. */
  readonly headers: Array<[string, string]>;
  readonly body: Buffer;
  /**
   * A well-formed deadline was sent (grpc-timeout; connect-timeout-ms over
   * Connect): DEADLINE_EXCEEDED (and 504 over REST and Connect) is a fair answer.
   */
  readonly deadline: boolean;
  /**
   * Connect only: the codec the request names, in its content type (POST) or
   * its encoding parameter (GET); undefined when it names none a Connect
   * server takes for a unary call. A 200 must be in this codec.
   */
  readonly codec?: ConnectCodec;
}

export interface CaseContext {
  readonly token: string;
  /** GRPC_MAX_RECEIVE_BYTES and MAX_BODY_BYTES of the server under test. */
  readonly grpcMaxBytes: number;
  readonly httpMaxBytes: number;
}

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const VALUE_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~\t\u00e9\u00ff\u0080';

const VALID_TIMEOUTS = ['1n', '1u', '1m', '5S', '99999999S', '1H', '00000001M', '10m'];
const GARBAGE_TIMEOUTS = ['', ' ', 'abc', '-1S', '1', 'S', '1.5S', '1X', '1s', '123456789S', '99999999999999999999n', '1S1S', '0x10S', '\u00e9S', 'Infinity', 'NaN', '1e3S', '+1S', ' 1S '];

/** Authorization: the admin token mostly, so input reaches the decoders; none or garbage sometimes. */
function authorization(rng: Prng, token: string): Array<[string, string]> {
  const roll = rng.int(20);
  if (roll < 15) return [['authorization', `Bearer ${token}`]];
  if (roll === 15) return [];
  if (roll === 16) return [['authorization', rng.pick(['Bearer', 'Bearer ', 'bearer ' + token, 'Basic YWRtaW46YWRtaW4=', 'Bearer\t' + token, token])]];
  if (roll === 17) return [['authorization', `Bearer ${rng.string(rng.pick([1, 40, 8000]), VALUE_CHARS)}`]];
  if (roll === 18) return [['authorization', `Bearer ${token}`], ['authorization', `Bearer ${rng.string(20, TOKEN_CHARS)}`]];
  return [['authorization', `Bearer ${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`]];
}

interface HeaderMutation {
  readonly headers: Array<[string, string]>;
  readonly tags: string[];
  readonly deadline: boolean;
}

/** Headers beside the ones a protocol needs: deadlines, encodings, metadata, size. */
function extraHeaders(rng: Prng): HeaderMutation {
  const headers: Array<[string, string]> = [];
  const tags: string[] = [];
  let deadline = false;
  for (let n = rng.chance(0.5) ? 0 : rng.range(1, 3); n > 0; n--) {
    switch (rng.int(9)) {
      case 0:
      case 1: {
        const garbage = rng.chance(0.7);
        headers.push(['grpc-timeout', garbage ? rng.pick(GARBAGE_TIMEOUTS) : rng.pick(VALID_TIMEOUTS)]);
        tags.push(garbage ? 'hdr:grpc-timeout-garbage' : 'hdr:grpc-timeout');
        deadline ||= !garbage;
        break;
      }
      case 2:
        headers.push(['grpc-encoding', rng.pick(['identity', 'gzip', 'deflate', 'snappy', '', 'GZIP', 'gzip, deflate'])]);
        tags.push('hdr:grpc-encoding');
        break;
      case 3:
        headers.push(['grpc-accept-encoding', rng.string(rng.range(0, 30), VALUE_CHARS).trim()]);
        tags.push('hdr:grpc-accept-encoding');
        break;
      case 4:
        headers.push([`x-${rng.string(rng.range(1, 12), TOKEN_CHARS)}-bin`, rng.string(rng.range(0, 20), VALUE_CHARS).trim()]);
        tags.push('hdr:bad-bin');
        break;
      case 5:
        headers.push([`x-${rng.string(rng.range(1, 12), TOKEN_CHARS)}`, rng.string(rng.range(0, 60), VALUE_CHARS).trim()]);
        tags.push('hdr:custom');
        break;
      case 6:
        for (let i = rng.range(50, 150); i > 0; i--) headers.push([`x-many-${i}`, rng.string(8, TOKEN_CHARS)]);
        tags.push('hdr:many');
        break;
      case 7:
        headers.push(['x-huge', rng.string(rng.pick([4000, 12000]), TOKEN_CHARS)]);
        tags.push('hdr:huge');
        break;
      default:
        headers.push([rng.pick(['grpc-message', 'grpc-status', 'user-agent', 'grpc-previous-rpc-attempts', 'x-forwarded-for', 'accept']), rng.string(rng.range(0, 30), VALUE_CHARS).trim()]);
        tags.push('hdr:odd-known');
    }
  }
  return { headers, tags, deadline };
}

const ODD_PATHS = [
  '/',
  '/zitadel.admin.v1.AdminService/',
  '/zitadel.admin.v1.AdminService',
  `${PATHS.get}/extra`,
  `${PATHS.get}?x=1`,
  '/zitadel.admin.v1.AdminService/getOIDCSettings',
  '/zitadel.admin.v1.AdminService/UpdateOidcSettings',
  '/zitadel.admin.v1.AdminService/ListOIDCSettings',
  '//zitadel.admin.v1.AdminService/GetOIDCSettings',
  '/zitadel.admin.v1.AdminService/../zitadel.admin.v1.AdminService/GetOIDCSettings',
  '/zitadel.admin.v1.AdminService/%47etOIDCSettings',
  '/zitadel.admin.v1.AdminService/GetOIDCSettings%00',
  '/grpc.health.v1.Health/Watch2',
  '/grpc.health.v1.Health/',
  '/grpc.reflection.v1.ServerReflection/Nope',
  '/%zz',
  '/..%2f..%2fetc%2fpasswd',
  '/admin/v1/settings/oidc',
  '*',
];

function oddPath(rng: Prng): string {
  if (rng.chance(0.8)) return rng.pick(ODD_PATHS);
  return `/${rng.string(rng.pick([1, 20, 3000]), 'abcdefghijklmnopqrstuvwxyz./%_-~')}`;
}

/** A gRPC or gRPC-Web method path: our methods mostly, health, reflection, and odd ones. */
function grpcPath(rng: Prng, withReflection: boolean): string {
  const roll = rng.int(20);
  if (roll < 5) return PATHS.get;
  if (roll < 10) return PATHS.update;
  if (roll < 12) return PATHS.add;
  if (roll < 15) return PATHS.healthCheck;
  if (roll < 17 && withReflection) return rng.chance(0.5) ? PATHS.reflectionV1 : PATHS.reflectionV1alpha;
  return oddPath(rng);
}

/** The message bytes, valid or broken, then framed (well or not). */
function grpcBody(rng: Prng, path: string, maxBytes: number, trailerFrames: boolean): Framed {
  const valid = validMessage(rng, path);
  const mutated = rng.chance(0.5) ? mutateMessage(rng, valid, maxBytes) : undefined;
  const framed = frameBody(rng, mutated?.bytes ?? valid, { trailerFrames });
  return { ...framed, tags: [...(mutated ? [mutated.tag] : []), ...framed.tags] };
}

function grpcCase(rng: Prng, id: string, ctx: CaseContext): FuzzCase {
  const path = grpcPath(rng, true);
  const tags: string[] = [];
  let method = 'POST';
  if (rng.chance(0.1)) {
    method = rng.pick(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'post', 'FUZZ']);
    tags.push(`method:${method}`);
  }
  const body = grpcBody(rng, path, ctx.grpcMaxBytes, false);
  tags.push(...body.tags);
  let contentType: string | undefined = 'application/grpc';
  if (rng.chance(0.1)) {
    contentType = rng.pick([undefined, '', 'application/grpc+proto', 'application/grpc+json', 'application/grpcx', 'application/grpc-web', 'text/plain', 'APPLICATION/GRPC', 'application/grpc; charset=utf-8']);
    tags.push('hdr:content-type');
  }
  const headers: Array<[string, string]> = [];
  if (contentType !== undefined) headers.push(['content-type', contentType]);
  // (HTTP/2 allows no other value of te: node:http2 would not send one.)
  if (rng.chance(0.95)) headers.push(['te', 'trailers']);
  else tags.push('hdr:no-te');
  headers.push(...authorization(rng, ctx.token), ...body.headers);
  const extra = extraHeaders(rng);
  headers.push(...extra.headers);
  tags.push(...extra.tags);
  // HTTP/2 allows one value of these (node:http2 would not send a second): the first is kept.
  const single = new Set(['authorization', 'user-agent', 'content-type']);
  const kept = headers.filter(([name], i) => !single.has(name) || headers.findIndex(([n]) => n === name) === i);
  return { transport: 'grpc', id, tags, method, path, headers: kept, body: body.body, deadline: extra.deadline };
}

const BASE64_ODD = ['', '=', '====', 'AAAA=AAAA', 'AA==AA==', '@@@@', 'AAAAAA', 'A', 'AAAA\nAAAA', ' AAAAAA== ', 'AAAA-_AA', '\u00e9\u00e9\u00e9\u00e9'];

function grpcWebCase(rng: Prng, id: string, ctx: CaseContext): FuzzCase {
  const path = grpcPath(rng, false);
  const tags: string[] = [];
  const text = rng.chance(0.4);
  let method = 'POST';
  if (rng.chance(0.1)) {
    method = rng.pick(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
    tags.push(`method:${method}`);
  }
  const framed = grpcBody(rng, path, ctx.httpMaxBytes, true);
  tags.push(...framed.tags);
  let body = framed.body;
  if (text) {
    tags.push('text');
    let encoded = body.toString('base64');
    if (rng.chance(0.3)) {
      switch (rng.int(5)) {
        case 0:
          encoded = rng.pick(BASE64_ODD);
          break;
        case 1:
          encoded = encoded.replace(/=+$/, '');
          break;
        case 2: {
          const at = rng.int(encoded.length + 1);
          encoded = `${encoded.slice(0, at)}${rng.pick(['=', '==', '*', ' ', '\r\n', '-', '_', '\u0000'])}${encoded.slice(at)}`;
          break;
        }
        case 3:
          // Several padded chunks, as a stream of text-mode writes would be.
          encoded = `${encoded}${Buffer.from(rng.bytes(rng.range(1, 4))).toString('base64')}`;
          break;
        default:
          encoded = rng.string(rng.range(1, 64), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_!');
      }
      tags.push('b64:odd');
    }
    body = Buffer.from(encoded, 'latin1');
  }
  let contentType: string | undefined = text ? rng.pick(['application/grpc-web-text', 'application/grpc-web-text+proto']) : rng.pick(['application/grpc-web', 'application/grpc-web+proto']);
  if (rng.chance(0.12)) {
    contentType = rng.pick([undefined, '', 'application/grpc', 'application/grpc-web+json', 'application/grpc-web-text+json', 'application/json', 'text/plain', 'APPLICATION/GRPC-WEB', 'application/grpc-web; charset=utf-8', 'application/grpc-webx', 'multipart/form-data; boundary=x']);
    tags.push('hdr:content-type');
  }
  const headers: Array<[string, string]> = [];
  if (contentType !== undefined) headers.push(['content-type', contentType]);
  if (rng.chance(0.9)) headers.push(['x-grpc-web', '1']);
  if (rng.chance(0.5)) headers.push(['accept', text ? 'application/grpc-web-text' : 'application/grpc-web']);
  if (rng.chance(0.1)) headers.push(['origin', rng.pick(['https://example.com', 'null', 'http://127.0.0.1:1', rng.string(20, VALUE_CHARS).trim()])]);
  headers.push(...authorization(rng, ctx.token), ...framed.headers);
  const extra = extraHeaders(rng);
  headers.push(...extra.headers);
  tags.push(...extra.tags);
  return { transport: 'grpc-web', id, tags, method, path, headers, body, deadline: extra.deadline };
}

const REST_PATH = '/admin/v1/settings/oidc';
const ODD_REST_PATHS = [
  `${REST_PATH}/`,
  `/${REST_PATH}`,
  `${REST_PATH}/../oidc`,
  '/admin/v1/settings/%6Fidc',
  `${REST_PATH}%00`,
  `${REST_PATH}%2F`,
  '/ADMIN/V1/SETTINGS/OIDC',
  '/admin/v1/settings',
  '/admin/v1/settings/oidc/x/y',
  '/admin/v1/',
  '/admin/v1/settings/oidc;x=1',
  '/admin/v1/settings/oid\u00e9',
  '/admin/v1/settings/%zz',
  '/openapi.json/..',
  '/ui/../../../../etc/passwd',
  '/ui/%2e%2e/%2e%2e/package.json',
  '/ui/..%2f..%2fpackage.json',
  '/ui/index.html%00.js',
  '/healthz?x',
  '/metrics/x',
];
const QUERIES = ['?', '?a=b', '?a', '?accessTokenLifetime=1s', '?access_token_lifetime=99999999999999999999s', '?%zz=1', '?a=%', '?a=1&a=2&a=3', '?=', '?&&&', '?x=\u00e9', `?${'q'.repeat(6000)}=1`, '?$alt=json', '?fields=details'];

/** Proto3 JSON duration strings, valid and not. */
const DURATIONS = [
  '1s', '3600s', '0.5s', '1.000000001s', '1.0000000001s', '0s', '-1s', '', 's', '1', '1m', '1h', ' 1s', '1s ', '+1s', '1e3s', '.5s', '1.s',
  '315576000000s', '315576000001s', '99999999999999999999s', '-0s', '0x10s', '\u0661s', 'NaNs', 'Infinitys', '1_000s', '00001s', '1.5e2s',
];

function jsonValue(rng: Prng): unknown {
  switch (rng.int(12)) {
    case 0:
      return rng.pick(DURATIONS);
    case 1:
      return rng.pick([1, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 1e21]);
    case 2:
      return null;
    case 3:
      return rng.pick([true, false]);
    case 4:
      return [rng.pick(DURATIONS)];
    case 5:
      return { seconds: rng.pick([1, '1', -1, 'x']), nanos: rng.pick([0, 1e10, 'x']) };
    case 6:
      return rng.string(rng.range(0, 40), VALUE_CHARS);
    default:
      return `${rng.range(1, 10_000_000)}s`;
  }
}

/** The JSON body of a PUT or POST: valid mostly (lifetimes that may be refused), then broken in one way. */
function restBody(rng: Prng): { body: Buffer; tags: string[] } {
  const object: Record<string, unknown> = {};
  for (const field of LIFETIME_FIELDS) {
    if (rng.chance(0.05)) continue;
    const name = rng.chance(0.15) ? field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : field;
    object[name] = rng.chance(0.85) ? `${rng.range(1, 10_000_000)}${rng.chance(0.1) ? `.${rng.range(1, 999)}` : ''}s` : jsonValue(rng);
  }
  const text = JSON.stringify(object);
  switch (rng.int(16)) {
    case 0:
      return { body: Buffer.from(text.slice(0, rng.int(text.length))), tags: ['json:truncated'] };
    case 1:
      return { body: rng.bytes(rng.range(1, 200)), tags: ['json:random-bytes'] };
    case 2: {
      // Invalid UTF-8 inside a string: a lone continuation byte, an overlong '/', a surrogate, a cut sequence.
      const bad = rng.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff, 0xfe], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      const at = text.indexOf('"', 2) + 1;
      return { body: Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]), tags: ['json:bad-utf8'] };
    }
    case 3:
      return { body: Buffer.from(rng.pick(['', 'null', '[]', '"x"', '1', 'true', '{', '}', '{"a":}', '{,}', '{"a":1,}', 'NaN', '{"accessTokenLifetime":NaN}', '\ufeff{}', '{}{}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'])), tags: ['json:odd-document'] };
    case 4:
      return { body: Buffer.from(`{"accessTokenLifetime":${'['.repeat(rng.pick([100, 10000, 30000]))}`), tags: ['json:deep-unclosed'] };
    case 5: {
      const depth = rng.pick([100, 5000, 20000]);
      return { body: Buffer.from(`{"x":${'['.repeat(depth)}${']'.repeat(depth)},${text.slice(1)}`), tags: ['json:deep-unknown'] };
    }
    case 6:
      return { body: Buffer.from(`{"accessTokenLifetime":"1s","accessTokenLifetime":"2s","access_token_lifetime":"3s",${text.slice(1)}`), tags: ['json:duplicate-keys'] };
    case 7:
      return { body: Buffer.from(JSON.stringify({ ...object, [rng.pick(LIFETIME_FIELDS)]: jsonValue(rng) })), tags: ['json:wrong-type'] };
    case 8:
      return { body: Buffer.from(`{"accessTokenLifetime":${'9'.repeat(rng.pick([20, 400, 5000]))},${text.slice(1)}`), tags: ['json:huge-number'] };
    case 9:
      return { body: Buffer.from(JSON.stringify({ ...object, [rng.string(rng.range(1, 20), VALUE_CHARS)]: jsonValue(rng), details: { sequence: '1' } })), tags: ['json:unknown-fields'] };
    case 10:
      return { body: Buffer.from(JSON.stringify({ ...object, x: 'y'.repeat(70_000) })), tags: ['json:over-limit'] };
    case 11:
      return { body: Buffer.from(text, 'utf16le'), tags: ['json:utf16'] };
    default:
      return { body: Buffer.from(text), tags: [] };
  }
}

function restCase(rng: Prng, id: string, ctx: CaseContext): FuzzCase {
  const tags: string[] = [];
  const roll = rng.int(20);
  const method = roll < 7 ? 'GET' : roll < 14 ? 'PUT' : roll < 17 ? 'POST' : rng.pick(['DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'FUZZ']);
  if (roll >= 17) tags.push(`method:${method}`);
  let path = REST_PATH;
  if (rng.chance(0.12)) {
    path = rng.chance(0.8) ? rng.pick(ODD_REST_PATHS) : oddPath(rng);
    tags.push('path:odd');
  }
  if (rng.chance(0.15)) {
    path += rng.pick(QUERIES);
    tags.push('query');
  }
  let body: Buffer = Buffer.alloc(0);
  if (method === 'PUT' || method === 'POST' || method === 'PATCH' || rng.chance(0.05)) {
    const generated = restBody(rng);
    body = generated.body;
    tags.push(...generated.tags);
  }
  const headers: Array<[string, string]> = [];
  if (rng.chance(0.9)) headers.push(['content-type', 'application/json']);
  else {
    const type = rng.pick([undefined, '', 'text/plain', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/JSON', 'application/x-www-form-urlencoded', 'application/grpc', 'application/json;;;', 'application/merge-patch+json']);
    if (type !== undefined) headers.push(['content-type', type]);
    tags.push('hdr:content-type');
  }
  headers.push(...authorization(rng, ctx.token));
  const extra = extraHeaders(rng);
  headers.push(...extra.headers);
  tags.push(...extra.tags);
  return { transport: 'rest', id, tags, method, path, headers, body, deadline: extra.deadline };
}

/*
 * Connect unary (connectrpc.com/docs/protocol#unary-request): POST of the
 * bare message as application/proto or application/json on the gRPC path,
 * with Connect-Protocol-Version, Connect-Timeout-Ms, Content-Encoding and
 * Accept-Encoding; GET with the message in the query; other methods now
 * and then.
 */

/** A Duration as proto3 JSON ("3600s", "1.000000500s"); nanos outside [0, 1e9) are written as they are, which no parser takes. */
function durationJson(d: Duration): string {
  if (d.nanos === 0) return `${d.seconds}s`;
  if (d.nanos > 0 && d.nanos < 1_000_000_000) return `${d.seconds}.${String(d.nanos).padStart(9, '0')}s`;
  return `${d.seconds}.${d.nanos}s`;
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The proto3 JSON of the message a path expects, valid (the service may still refuse its values, e.g. durations out of range). */
function connectJsonMessage(rng: Prng, path: string): Record<string, unknown> {
  if (path === PATHS.update || path === PATHS.add) {
    const object: Record<string, unknown> = {};
    for (const [field, duration] of Object.entries(randomLifetimes(rng))) object[rng.chance(0.15) ? snakeCase(field) : field] = durationJson(duration);
    return object;
  }
  if (path === PATHS.healthCheck) return rng.chance(0.5) ? {} : { service: '' };
  if (path === PATHS.reflectionV1 || path === PATHS.reflectionV1alpha) return { listServices: '' };
  return {};
}

/** Durations proto3 JSON refuses, or the service does: beyond ±10000 years, more than 9 fractional digits, odd spellings. */
const DURATIONS_OUT_OF_RANGE = [
  '315576000001s', '-315576000001s', '9223372036854775807s', '-9223372036854775808s', '18446744073709551616s', '99999999999999999999999s',
  '1.0000000001s', '0.9999999999s', '1.-5s', '-0.000000001s', '315576000000.999999999s', '1e400s',
];
const JSON_ODD_DOCUMENTS = [
  '', ' \n\t ', 'null', '[]', '[{}]', '"x"', '1', '-0', 'true', '{', '}', '{"a":}', '{,}', '{"a":1,}', 'NaN', '{"accessTokenLifetime":NaN}', '\ufeff{}', '{}{}', '{} x',
  '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '{"@type":"type.googleapis.com/google.protobuf.Empty"}', '{"accessTokenLifetime":"1s"}\u0000', "{'a':1}",
];

/** A Connect JSON body: the valid message about half the time, else broken in one way. */
function connectJsonBody(rng: Prng, path: string, maxBytes: number): { body: Buffer; tags: string[] } {
  const object = connectJsonMessage(rng, path);
  const text = JSON.stringify(object);
  if (rng.chance(0.45)) return { body: Buffer.from(text), tags: [] };
  const field = rng.pick(LIFETIME_FIELDS);
  const rest = text === '{}' ? '}' : `,${text.slice(1)}`;
  switch (rng.int(15)) {
    case 0:
      return { body: Buffer.from(JSON.stringify({ ...object, [field]: jsonValue(rng) })), tags: ['json:wrong-type'] };
    case 1: {
      const huge = rng.pick([`${'9'.repeat(rng.pick([20, 400, 5000]))}`, '1e400', '-1e400', '1e-400', '123456789012345678901234567890.5']);
      return rng.chance(0.5)
        ? { body: Buffer.from(`{"${field}":${huge}${rest}`), tags: ['json:huge-number'] }
        : { body: Buffer.from(`{"${field}":{"seconds":${huge},"nanos":${huge}}${rest}`), tags: ['json:huge-number-object'] };
    }
    case 2: {
      const depth = rng.pick([100, 1000, 10000, 30000]);
      switch (rng.int(3)) {
        case 0:
          return { body: Buffer.from(`{"${field}":${'['.repeat(depth)}${']'.repeat(depth)}${rest}`), tags: [`json:deep-known-${depth}`] };
        case 1:
          return { body: Buffer.from(`{"x":${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}${rest}`), tags: [`json:deep-unknown-${depth}`] };
        default:
          return { body: Buffer.from(`{"${field}":${'{"seconds":'.repeat(depth)}`), tags: [`json:deep-unclosed-${depth}`] };
      }
    }
    case 3: {
      const bad = rng.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff, 0xfe], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      const at = rng.chance(0.5) ? text.indexOf('"', 2) + 1 : rng.int(text.length + 1);
      return { body: Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]), tags: ['json:bad-utf8'] };
    }
    case 4:
      return { body: Buffer.from(text.slice(0, rng.int(text.length))), tags: ['json:truncated'] };
    case 5:
      return { body: Buffer.from(rng.pick([`[${text}]`, `[${text},${text}]`, 'null', `"${text.replace(/"/g, '\\"')}"`, '42', 'false'])), tags: ['json:not-an-object'] };
    case 6:
      // null is a field's default in proto3 JSON: a valid message.
      return { body: Buffer.from(JSON.stringify(rng.chance(0.5) ? { ...object, [field]: null } : Object.fromEntries(LIFETIME_FIELDS.map((f) => [f, null])))), tags: ['json:nulls'] };
    case 7:
      return {
        body: Buffer.from(JSON.stringify({ ...object, [rng.string(rng.range(1, 20), VALUE_CHARS)]: jsonValue(rng), details: { sequence: '1' }, [rng.pick(['@type', '__proto__', 'toString', 'constructor'])]: jsonValue(rng) })),
        tags: ['json:unknown-fields'],
      };
    case 8:
      return { body: Buffer.from(JSON.stringify({ ...object, [field]: rng.chance(0.5) ? rng.pick(DURATIONS_OUT_OF_RANGE) : rng.pick(DURATIONS) })), tags: ['json:duration-out-of-range'] };
    case 9:
      return { body: Buffer.from(`{"${field}":"1s","${field}":"2s","${snakeCase(field)}":"3s"${rest}`), tags: ['json:duplicate-keys'] };
    case 10:
      return { body: Buffer.from(JSON.stringify({ ...object, x: 'y'.repeat(maxBytes) })), tags: ['json:over-limit'] };
    case 11:
      return { body: Buffer.from(rng.pick(JSON_ODD_DOCUMENTS)), tags: ['json:odd-document'] };
    case 12:
      return rng.chance(0.5) ? { body: Buffer.from(text, 'utf16le'), tags: ['json:utf16'] } : { body: Buffer.from(`\ufeff${text}`), tags: ['json:bom'] };
    case 13:
      return { body: rng.bytes(rng.range(1, 200)), tags: ['json:random-bytes'] };
    default:
      // Whitespace around and inside, which JSON allows.
      return { body: Buffer.from(` \r\n\t${JSON.stringify(object, null, rng.pick([1, 2, '\t']))}\n `), tags: ['json:whitespace'] };
  }
}

/** A Connect binary body: the bare message (no gRPC envelope), valid or broken. */
function connectProtoBody(rng: Prng, path: string, maxBytes: number): { body: Buffer; tags: string[] } {
  const valid = validMessage(rng, path);
  const roll = rng.int(20);
  if (roll < 9) return { body: Buffer.from(valid), tags: [] };
  if (roll < 17) {
    const mutated = mutateMessage(rng, valid, maxBytes);
    return { body: mutated.bytes, tags: [mutated.tag] };
  }
  // A gRPC envelope around it: Connect unary has none, so its five bytes are read as the message.
  if (roll === 17) return { body: frame(valid), tags: ['proto:enveloped'] };
  if (roll === 18) return { body: Buffer.alloc(maxBytes + rng.range(1, 1000)), tags: ['proto:over-limit'] };
  return { body: Buffer.alloc(0), tags: ['proto:empty'] };
}

/** Content types a server may take as the codec (media types ignore case; JSON may say charset=utf-8). */
const CONNECT_TYPES: Record<ConnectCodec, readonly string[]> = {
  json: ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"', 'APPLICATION/JSON', 'Application/Json; Charset=utf-8', 'application/json ; charset=utf8'],
  proto: ['APPLICATION/PROTO', 'Application/Proto', 'application/proto; charset=utf-8'],
};
/** Content types no Connect server takes for a unary call: streaming Connect, other codecs and charsets, gRPC, garbage. */
const REFUSED_CONNECT_TYPES = [
  'application/connect+json', 'application/connect+proto', 'application/connect+json; charset=utf-8', 'application/json; charset=utf-16', 'application/json; charset=latin1',
  'application/json;;;', 'application/json; foo=bar', 'application/json, application/proto', 'application/grpc', 'application/grpc+proto', 'application/grpc+json', 'application/protobuf',
  'application/x-protobuf', 'application/jsonx', 'application/proto+json', 'text/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '', '*/*', 'application/',
];

const CONNECT_VALID_TIMEOUTS = ['1', '5', '50', '1000', '5000', '60000', '9999999999', '0', '0000000001', '0000005000'];
const CONNECT_GARBAGE_TIMEOUTS = ['', '-1', '1.5', '12345678901', '99999999999999999999', 'abc', '1e3', '0x10', '+5', '\u00b9', 'Infinity', 'NaN', '5ms', '5S', '1 000', '5,5'];
const CONNECT_ODD_ENCODINGS = ['deflate', 'br', 'snappy', 'x-gzip', 'compress', 'gzip, identity', 'identity, gzip', '*', 'gzip;q=1', 'zstd'];
const CONNECT_ACCEPT_ENCODINGS = ['gzip', 'gzip, deflate, br', 'gzip;q=0', 'identity', '*', 'br', 'GZIP;q=0.5', 'gzip;q=abc', ',,,', 'identity;q=0', 'gzip;q=0, identity;q=0'];

const bombs = new Map<string, Buffer>();
/** `size` bytes of `fill`, gzipped (a few hundred bytes for megabytes); made once per size. */
function gzipBomb(size: number, fill: number): Buffer {
  const key = `${size}/${fill}`;
  let bomb = bombs.get(key);
  if (!bomb) {
    bomb = zlib.gzipSync(Buffer.alloc(size, fill), { level: 9 });
    bombs.set(key, bomb);
  }
  return bomb;
}

/** The body as sent under a Content-Encoding, valid or broken; the header (if any) to send with it. */
function connectEncoding(rng: Prng, body: Buffer, codec: ConnectCodec, maxBytes: number): { body: Buffer; headers: Array<[string, string]>; tags: string[] } {
  const roll = rng.int(20);
  if (roll < 12) return { body, headers: [], tags: [] };
  if (roll < 15) return { body: zlib.gzipSync(body), headers: [['content-encoding', rng.pick(['gzip', 'gzip', 'GZIP', ' gzip '])]], tags: ['enc:gzip'] };
  if (roll === 15) {
    const gz = zlib.gzipSync(body);
    switch (rng.int(5)) {
      case 0:
        return { body: gz.subarray(0, rng.int(gz.length)), headers: [['content-encoding', 'gzip']], tags: ['enc:gzip-truncated'] };
      case 1: {
        // A flipped byte past the header: a bad deflate stream, or a CRC or length that does not match.
        const out = Buffer.from(gz);
        out[rng.range(10, out.length - 1)]! ^= 1 << rng.int(8);
        return { body: out, headers: [['content-encoding', 'gzip']], tags: ['enc:gzip-corrupt'] };
      }
      case 2:
        return { body, headers: [['content-encoding', 'gzip']], tags: ['enc:gzip-not-gzip'] };
      case 3:
        return { body: Buffer.concat([gz, rng.bytes(rng.range(1, 16))]), headers: [['content-encoding', 'gzip']], tags: ['enc:gzip-trailing'] };
      default:
        return { body: zlib.deflateRawSync(body), headers: [['content-encoding', 'gzip']], tags: ['enc:gzip-raw-deflate'] };
    }
  }
  if (roll === 16) {
    // A gzip bomb: spaces (blank JSON) or zeros; just over the limit, at it, or far over.
    const size = rng.pick([maxBytes + 1, maxBytes + 1, maxBytes, maxBytes * 64]);
    const tag = size === maxBytes ? 'enc:gzip-bomb-at-limit' : size === maxBytes + 1 ? 'enc:gzip-bomb-over' : 'enc:gzip-bomb-big';
    return { body: gzipBomb(size, codec === 'json' ? 0x20 : 0x00), headers: [['content-encoding', 'gzip']], tags: [tag] };
  }
  if (roll === 17) return { body, headers: [['content-encoding', rng.pick(['identity', 'IDENTITY', ''])]], tags: ['enc:identity'] };
  if (roll === 18) return { body: zlib.gzipSync(body), headers: [['content-encoding', 'gzip'], ['content-encoding', 'gzip']], tags: ['enc:gzip-twice-named'] };
  return { body, headers: [['content-encoding', rng.pick(CONNECT_ODD_ENCODINGS)]], tags: ['enc:unknown'] };
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Each byte not unreserved as %XX: what a client does to a binary message in a query. */
const percentEncode = (bytes: Uint8Array): string => Array.from(bytes, (b) => (UNRESERVED.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');

/** A GET's query (connectrpc.com/docs/protocol#unary-get-request): well formed mostly, else broken in one way. */
function connectGetQuery(rng: Prng, codec: ConnectCodec, message: Buffer): { query: string; tags: string[] } {
  const tags: string[] = [];
  let bytes = message;
  /** Key and value; a key alone when the value is undefined. */
  const params: Array<[string, string | undefined]> = [];
  if (rng.chance(0.9)) params.push(['connect', 'v1']);
  else tags.push('get:no-version');
  params.push(['encoding', codec]);
  const compressed = rng.chance(0.2);
  if (compressed) {
    bytes = zlib.gzipSync(bytes);
    params.push(['compression', 'gzip']);
    tags.push('get:gzip');
  }
  if (compressed || codec === 'proto' ? rng.chance(0.8) : rng.chance(0.3)) {
    const encoded = rng.chance(0.5) ? bytes.toString('base64url') : rng.chance(0.5) ? bytes.toString('base64').replace(/[+/=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : `${bytes.toString('base64url')}==`;
    params.push(['base64', '1'], ['message', encoded]);
    tags.push('get:base64');
  } else {
    params.push(['message', percentEncode(bytes)]);
  }
  if (rng.chance(0.3)) {
    const at = rng.int(params.length);
    switch (rng.int(9)) {
      case 0:
        params[at] = ['encoding', rng.pick(['xml', 'JSON', '', 'proto,json', 'protobuf', 'connect+json'])];
        break;
      case 1:
        params.splice(params.findIndex(([k]) => k === 'encoding'), 1);
        break;
      case 2:
        params.unshift(['connect', rng.pick(['v2', 'V1', '1', '', 'v1%00'])]);
        break;
      case 3:
        params.push(['base64', '1'], ['message', rng.pick(BASE64_ODD.filter((s) => /^[\x21-\x7e]*$/.test(s)))]);
        params.splice(params.findIndex(([k]) => k === 'message'), 1);
        break;
      case 4:
        params.push(['message', rng.pick(['%zz', '%', '%e9%80', '+++', '%ff%fe', '%7B%22accessTokenLifetime%22%3A'])]);
        params.splice(params.findIndex(([k]) => k === 'message'), 1);
        break;
      case 5:
        params.push(['compression', rng.pick(['br', 'identity', 'GZIP', '', 'deflate', 'gzip'])]);
        break;
      case 6:
        params.push(['message', percentEncode(rng.bytes(rng.range(1, 64)))]);
        break;
      case 7:
        params.push(['message', 'A'.repeat(rng.pick([9000, 20000]))]);
        break;
      default:
        params.push(['%zz', '1'], ['', ''], ['encoding', undefined]);
    }
    tags.push('get:odd');
  }
  if (rng.chance(0.2)) {
    for (let i = params.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [params[i], params[j]] = [params[j]!, params[i]!];
    }
  }
  return { query: params.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&'), tags };
}

/** A Connect method path: our methods mostly, health, reflection, and odd ones (the gateway fronts only AdminService). */
function connectCase(rng: Prng, id: string, ctx: CaseContext): FuzzCase {
  const path = grpcPath(rng, true);
  const tags: string[] = [];
  const roll = rng.int(20);
  const method = roll < 16 ? 'POST' : roll < 18 ? 'GET' : rng.pick(['PUT', 'PUT', 'DELETE', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
  if (method !== 'POST') tags.push(`method:${method}`);
  const codec: ConnectCodec = rng.chance(0.5) ? 'proto' : 'json';
  tags.push(codec);
  const message = codec === 'json' ? connectJsonBody(rng, path, ctx.httpMaxBytes) : connectProtoBody(rng, path, ctx.httpMaxBytes);
  tags.push(...message.tags);
  const headers: Array<[string, string]> = [];
  let target = path;
  let body: Buffer = Buffer.alloc(0);
  let named: ConnectCodec | undefined = codec;

  if (method === 'GET') {
    const get = connectGetQuery(rng, codec, message.body);
    tags.push(...get.tags);
    target = `${path}${path.includes('?') ? '&' : '?'}${get.query}`;
    if (get.tags.includes('get:odd')) named = undefined;
    if (rng.chance(0.1)) headers.push(['content-type', contentTypeOf(codec)]);
  } else {
    let contentType: string | undefined = contentTypeOf(codec);
    const typeRoll = rng.int(20);
    if (typeRoll < 3) {
      contentType = rng.pick(CONNECT_TYPES[codec]);
      tags.push('hdr:content-type-variant');
    } else if (typeRoll === 3) {
      // The other codec's type: the body is read as what the header says.
      named = codec === 'json' ? 'proto' : 'json';
      contentType = contentTypeOf(named);
      tags.push('hdr:content-type-other-codec');
    } else if (typeRoll === 4) {
      named = undefined;
      contentType = rng.chance(0.85) ? rng.pick(REFUSED_CONNECT_TYPES) : rng.string(rng.range(1, 40), VALUE_CHARS).trim();
      tags.push('hdr:content-type-refused');
    } else if (typeRoll === 5 && rng.chance(0.5)) {
      named = undefined;
      contentType = undefined;
      tags.push('hdr:no-content-type');
    }
    if (contentType !== undefined) headers.push(['content-type', contentType]);
    const version = rng.int(10);
    if (version < 6) headers.push(['connect-protocol-version', '1']);
    else if (version === 9) {
      headers.push(['connect-protocol-version', rng.pick(['2', '0', '', '1.0', 'v1', 'one', '1, 1', '01'])]);
      tags.push('hdr:protocol-version-bad');
    }
    const encoded = connectEncoding(rng, message.body, codec, ctx.httpMaxBytes);
    body = encoded.body;
    headers.push(...encoded.headers);
    tags.push(...encoded.tags);
    if (method !== 'POST' && rng.chance(0.3)) body = Buffer.alloc(0);
  }
  let deadline = false;
  const timeout = rng.int(100);
  if (timeout < 15) {
    headers.push(['connect-timeout-ms', rng.pick(CONNECT_VALID_TIMEOUTS)]);
    tags.push('hdr:timeout');
    deadline = true;
  } else if (timeout < 23) {
    headers.push(['connect-timeout-ms', rng.pick(CONNECT_GARBAGE_TIMEOUTS)]);
    tags.push('hdr:timeout-garbage');
  }
  if (rng.chance(0.4)) {
    headers.push(['accept-encoding', rng.chance(0.9) ? rng.pick(CONNECT_ACCEPT_ENCODINGS) : rng.string(rng.range(0, 30), VALUE_CHARS).trim()]);
    tags.push('hdr:accept-encoding');
  }
  if (rng.chance(0.05)) headers.push(['origin', rng.pick(['https://example.com', 'null', rng.string(20, VALUE_CHARS).trim()])]);
  headers.push(...authorization(rng, ctx.token));
  // gRPC's headers (grpc-timeout among them) are not Connect's: a grpc-timeout sets no deadline here.
  const extra = extraHeaders(rng);
  headers.push(...extra.headers);
  tags.push(...extra.tags);
  return { transport: 'connect', id, tags, method, path: target, headers, body, deadline, codec: named };
}

const GENERATORS: Record<Transport, (rng: Prng, id: string, ctx: CaseContext) => FuzzCase> = {
  grpc: grpcCase,
  'grpc-web': grpcWebCase,
  rest: restCase,
  connect: connectCase,
};

/** Case `index` of a protocol under `seed`: the same seed, protocol and index give the same bytes. */
export function fuzzCase(seed: number, transport: Transport, index: number, ctx: CaseContext): FuzzCase {
  return GENERATORS[transport](new Prng(caseSeed(seed, transport, index)), `${transport}#${index}`, ctx);
}
