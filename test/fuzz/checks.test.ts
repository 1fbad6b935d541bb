/**
 * The fuzz's checks catch what they are for: each row is an answer that
 * must be flagged (or must not), so a fuzz run that passes means something.
 */
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
  ])('%s', (_name, c, answer, checks) => {
    expect(answerProblems(c, answer).map((p) => p.check)).toEqual(checks);
  });
});
