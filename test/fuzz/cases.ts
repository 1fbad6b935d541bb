/**
 * The fuzz cases: one seeded generator per protocol. A case is plain data
 * (method, path, headers, body) so that it can be printed and sent again
 * exactly; its seed alone rebuilds it (caseSeed in prng.ts).
 */
import { PATHS, type Framed, frameBody, LIFETIME_FIELDS, mutateMessage, validMessage } from './messages';
import { Prng, caseSeed } from './prng';

export type Transport = 'grpc' | 'grpc-web' | 'rest';

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
  /** A well-formed grpc-timeout was sent: DEADLINE_EXCEEDED (and 504 over REST) is a fair answer. */
  readonly deadline: boolean;
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

const GENERATORS: Record<Transport, (rng: Prng, id: string, ctx: CaseContext) => FuzzCase> = {
  grpc: grpcCase,
  'grpc-web': grpcWebCase,
  rest: restCase,
};

/** Case `index` of a protocol under `seed`: the same seed, protocol and index give the same bytes. */
export function fuzzCase(seed: number, transport: Transport, index: number, ctx: CaseContext): FuzzCase {
  return GENERATORS[transport](new Prng(caseSeed(seed, transport, index)), `${transport}#${index}`, ctx);
}
