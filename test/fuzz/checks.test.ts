/**
 * The fuzz's checks catch what they are for: each row is an answer that
 * must be flagged (or must not), so a fuzz run that passes means something.
 */
import zlib from 'node:zlib';
import { create, toBinary } from '@bufbuild/protobuf';
import { GetOIDCSettingsResponseSchema } from '../../gen/es/zitadel/admin_pb';
import { PATHS, frame } from './messages';
import type { FuzzCase } from './cases';
import { answerProblems } from './checks';
import type { Answer } from './wire';

const grpcCase = (over: Partial<FuzzCase> = {}): FuzzCase => ({
  transport: 'grpc',
  id: 'grpc#0',
  tags: [],
  method: 'POST',
  path: PATHS.get,
  headers: [['content-type', 'application/grpc']],
  body: frame(new Uint8Array(0)),
  deadline: false,
  ...over,
});
const answered = (over: Partial<Extract<Answer, { kind: 'answered' }>> = {}): Answer => ({
  kind: 'answered',
  status: 200,
  headers: [['content-type', 'application/grpc']],
  trailers: [['grpc-status', '3'], ['grpc-message', 'bad']],
  body: Buffer.alloc(0),
  ...over,
});
const webTrailers = (fields: string) => frame(Buffer.from(fields), 0x80);
const connectCase = (over: Partial<FuzzCase> = {}): FuzzCase =>
  grpcCase({ transport: 'connect', id: 'connect#0', headers: [['content-type', 'application/proto']], body: Buffer.alloc(0), codec: 'proto', ...over });
/** A Connect error answer: JSON body, no trailers. */
const connectError = (status: number, body: unknown, headers: Array<[string, string]> = []): Answer =>
  answered({ status, headers: [['content-type', 'application/json'], ...headers], trailers: [], body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
const connectOk = (body: Buffer | string, contentType = 'application/proto'): Answer =>
  answered({ headers: [['content-type', contentType]], trailers: [], body: Buffer.from(body) });
const settingsBinary = Buffer.from(toBinary(GetOIDCSettingsResponseSchema, create(GetOIDCSettingsResponseSchema, {})));

describe('fuzz checks', () => {
  it.each<[string, FuzzCase, Answer, string[]]>([
    ['a refusal', grpcCase(), answered(), []],
    ['no answer in time', grpcCase(), { kind: 'timeout' }, ['hang']],
    ['INTERNAL in the trailers', grpcCase(), answered({ trailers: [['grpc-status', '13']] }), ['grpc-status INTERNAL']],
    ['UNKNOWN trailers-only', grpcCase(), answered({ headers: [['grpc-status', '2']], trailers: [] }), ['grpc-status UNKNOWN']],
    ['UNAVAILABLE', grpcCase(), answered({ trailers: [['grpc-status', '14']] }), ['grpc-status UNAVAILABLE']],
    ['200 without a status', grpcCase(), answered({ trailers: [] }), ['no grpc-status']],
    ['a reset of a gRPC call', grpcCase(), { kind: 'reset', detail: 'NGHTTP2_INTERNAL_ERROR' }, ['reset without status']],
    ['a dropped HTTP/1.1 connection', grpcCase({ transport: 'rest' }), { kind: 'reset', detail: 'ECONNRESET' }, ['connection dropped without an answer']],
    ['a dropped connection after a path HTTP/1.1 cannot read', grpcCase({ transport: 'rest', path: '/x\u00e9' }), { kind: 'reset', detail: 'EPIPE' }, []],
    ['a reset of an oversized header block', grpcCase({ tags: ['hdr:huge'] }), { kind: 'reset', detail: 'ENHANCE_YOUR_CALM' }, []],
    ['PUT that ran the method', grpcCase({ method: 'PUT' }), answered({ trailers: [['grpc-status', '0']] }), ['a method other than POST ran the call']],
    ['a stack frame in grpc-message', grpcCase(), answered({ trailers: [['grpc-status', '3'], ['grpc-message', 'x%0A    at f (/srv/a.js:1:2)']] }), ['leak: stack frame', 'leak: .js: location']],
    ['a path in a header', grpcCase(), answered({ headers: [['x-debug', '/work/main/dist/src/x']] }), ['leak: file path /work/', 'leak: dist/ path']],
    ['an echo of the request is no leak', grpcCase({ path: '/work/node_modules' }), answered({ trailers: [['grpc-status', '12'], ['grpc-message', 'unknown /work/node_modules']] }), []],
    ['REST 500', grpcCase({ transport: 'rest', path: '/admin/v1/settings/oidc' }), answered({ status: 500, headers: [], trailers: [], body: Buffer.from('{"code":13,"message":"internal error"}') }), ['HTTP 500', 'grpc-status INTERNAL']],
    ['REST 504 after a deadline the client set', grpcCase({ transport: 'rest', deadline: true }), answered({ status: 504, headers: [], trailers: [], body: Buffer.from('{"code":4,"message":"deadline"}') }), []],
    ['REST 504 without one', grpcCase({ transport: 'rest' }), answered({ status: 504, headers: [], trailers: [], body: Buffer.from('{"code":4,"message":"deadline"}') }), ['HTTP 504']],
    ['a node_modules path in a REST body', grpcCase({ transport: 'rest' }), answered({ status: 400, headers: [], trailers: [], body: Buffer.from('{"code":3,"message":"at /app/node_modules/x"}') }), ['leak: node_modules']],
    ['INTERNAL in a gRPC-Web trailer frame', grpcCase({ transport: 'grpc-web' }), answered({ headers: [['content-type', 'application/grpc-web+proto']], trailers: [], body: webTrailers('grpc-status:13\r\n') }), ['grpc-status INTERNAL']],
    ['INTERNAL in a gRPC-Web text answer', grpcCase({ transport: 'grpc-web' }), answered({ headers: [['content-type', 'application/grpc-web-text+proto']], trailers: [], body: Buffer.from(webTrailers('grpc-status:13\r\n').toString('base64')) }), ['grpc-status INTERNAL']],
    ['a .ts location in a gRPC-Web text answer', grpcCase({ transport: 'grpc-web' }), answered({ headers: [['content-type', 'application/grpc-web-text']], trailers: [], body: Buffer.from(webTrailers('grpc-status:3\r\ngrpc-message:x.ts:12\r\n').toString('base64')) }), ['leak: .ts: location']],
    ['a Connect refusal', connectCase(), connectError(400, { code: 'invalid_argument', message: 'bad' }), []],
    ['Connect details', connectCase(), connectError(400, { code: 'invalid_argument', message: 'bad', details: [{ type: 'google.rpc.BadRequest', value: 'CgA' }] }), []],
    ['Connect refusals with their own statuses', connectCase(), connectError(415, { code: 'unimplemented', message: 'type' }), []],
    ['no such method, as Connect clients read a 404', connectCase(), connectError(404, { code: 'unimplemented', message: 'no method' }), []],
    ['a Connect body too large', connectCase(), connectError(413, { code: 'resource_exhausted', message: 'big' }), []],
    ['a Connect 405 with Allow', connectCase({ method: 'GET', path: `${PATHS.get}?connect=v1&encoding=proto` }), connectError(405, { code: 'unimplemented' }, [['allow', 'POST']]), []],
    ['a Connect 405 without Allow', connectCase({ method: 'GET', path: `${PATHS.get}?connect=v1&encoding=proto` }), connectError(405, { code: 'unimplemented' }), ['connect: 405 without Allow: POST']],
    ['a Connect status that is not its code\'s', connectCase(), connectError(400, { code: 'unimplemented', message: 'x' }), ['connect: HTTP status does not match the code']],
    ['a refusal status with another code', connectCase(), connectError(415, { code: 'invalid_argument', message: 'x' }), ['connect: HTTP status does not match the code']],
    ['a google.rpc.Status body to a Connect call', connectCase(), connectError(400, { code: 3, message: 'x' }), ['connect: malformed error body']],
    ['a gRPC code name', connectCase(), connectError(400, { code: 'INVALID_ARGUMENT' }), ['connect: malformed error body']],
    ['code ok in an error', connectCase(), connectError(400, { code: 'ok' }), ['connect: malformed error body']],
    ['a message that is no string', connectCase(), connectError(400, { code: 'invalid_argument', message: 3 }), ['connect: malformed error body']],
    ['details that are no array', connectCase(), connectError(400, { code: 'invalid_argument', details: {} }), ['connect: malformed error body']],
    ['a detail without a value', connectCase(), connectError(400, { code: 'invalid_argument', details: [{ type: 'google.rpc.BadRequest' }] }), ['connect: malformed error body']],
    ['a detail type as a URL', connectCase(), connectError(400, { code: 'invalid_argument', details: [{ type: 'type.googleapis.com/google.rpc.BadRequest', value: '' }] }), ['connect: malformed error body']],
    ['an error body that is not JSON', connectCase(), connectError(400, 'bad request'), ['connect: malformed error body']],
    ['an error in another content type', connectCase(), answered({ status: 400, headers: [['content-type', 'text/plain']], trailers: [], body: Buffer.from('{"code":"invalid_argument"}') }), ['connect: error not application/json']],
    ['Connect internal', connectCase(), connectError(500, { code: 'internal', message: 'internal error' }), ['HTTP 500', 'connect code internal']],
    ['Connect unavailable', connectCase(), connectError(503, { code: 'unavailable' }), ['HTTP 503', 'connect code unavailable']],
    ['Connect unknown at 400', connectCase(), connectError(400, { code: 'unknown' }), ['connect code unknown', 'connect: HTTP status does not match the code']],
    ['Connect 501 unimplemented', connectCase(), connectError(501, { code: 'unimplemented' }), []],
    ['Connect 501 with another code', connectCase(), connectError(501, { code: 'invalid_argument' }), ['HTTP 501', 'connect: HTTP status does not match the code']],
    ['Connect 504 after connect-timeout-ms', connectCase({ deadline: true }), connectError(504, { code: 'deadline_exceeded' }), []],
    ['Connect 504 without one', connectCase({ headers: [['grpc-timeout', '1m']] }), connectError(504, { code: 'deadline_exceeded' }), ['HTTP 504']],
    ['REST 504 after grpc-timeout, on the Connect fuzz', connectCase({ path: '/admin/v1/settings/oidc', headers: [['grpc-timeout', '1m']] }), answered({ status: 504, headers: [], trailers: [], body: Buffer.from('{"code":4}') }), []],
    ['a Connect 200 in the request\'s codec', connectCase(), connectOk(settingsBinary), []],
    ['a Connect 200 in JSON', connectCase({ codec: 'json' }), connectOk('{"settings":{}}', 'application/json'), []],
    ['a gzipped Connect 200', connectCase(), answered({ headers: [['content-type', 'application/proto'], ['content-encoding', 'gzip']], trailers: [], body: zlib.gzipSync(settingsBinary) }), []],
    ['a Connect 200 that does not inflate', connectCase(), answered({ headers: [['content-type', 'application/proto'], ['content-encoding', 'gzip']], trailers: [], body: settingsBinary }), ['connect: answer does not inflate']],
    ['a Connect 200 in the other codec', connectCase({ codec: 'json' }), connectOk(settingsBinary), ['connect: 200 in another codec than the request\'s']],
    ['a Connect 200 that does not decode', connectCase(), connectOk(Buffer.from([0x0a, 0x05])), ['connect: 200 whose body is not a zitadel.admin.v1.GetOIDCSettingsResponse']],
    ['a Connect 200 for a content type Connect does not define', connectCase({ codec: undefined }), connectOk(settingsBinary), ['connect: 200 for a content type Connect does not define']],
    ['a Connect 200 for a method not offered', connectCase({ path: PATHS.healthCheck }), connectOk(Buffer.alloc(0)), ['connect: 200 for a method not offered']],
    ['a GET that ran a method with side effects', connectCase({ method: 'GET', path: `${PATHS.get}?connect=v1&encoding=proto` }), connectOk(settingsBinary), ['connect: GET ran a call']],
    ['a PUT to a procedure that ran it', connectCase({ method: 'PUT' }), connectOk(settingsBinary), ['connect: PUT ran a call']],
    ['a REST GET on the Connect fuzz', connectCase({ method: 'GET', path: '/admin/v1/settings/oidc' }), answered({ headers: [['content-type', 'application/json']], trailers: [], body: Buffer.from('{}') }), []],
    ['a REST refusal of a PUT to a procedure', connectCase({ method: 'PUT' }), answered({ status: 405, headers: [['content-type', 'application/json']], trailers: [], body: Buffer.from('{"code":12}') }), []],
    ['a REST body to a Connect GET', connectCase({ method: 'GET', path: `${PATHS.healthCheck}?connect=v1&encoding=json` }), connectError(405, { code: 12, message: 'x' }, [['allow', 'POST']]), ['connect: malformed error body']],
    ['node refusing headers too large', connectCase({ tags: ['hdr:huge'] }), answered({ status: 431, headers: [], trailers: [], body: Buffer.alloc(0) }), []],
    ['a reset after a URL past the head limit', connectCase({ method: 'GET', path: `${PATHS.get}?connect=v1&message=${'A'.repeat(20000)}` }), { kind: 'reset', detail: 'ECONNRESET' }, []],
    ['a reset of a Connect call', connectCase(), { kind: 'reset', detail: 'ECONNRESET' }, ['connection dropped without an answer']],
    ['a stack trace in a Connect message', connectCase(), connectError(400, { code: 'invalid_argument', message: 'x\n    at f (/srv/a.js:1:2)' }), ['leak: stack frame', 'leak: .js: location']],
  ])('%s', (_name, c, answer, checks) => {
    expect(answerProblems(c, answer).map((p) => p.check)).toEqual(checks);
  });
});
