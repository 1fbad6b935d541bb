import http2 from 'node:http2';
import zlib from 'node:zlib';
import { DeadlineSweep } from '../../gateway/deadline';
import { UnaryStreamCall, type UnaryStreamOptions } from '../../src/grpc/unary-stream';
import type { UnaryRequest, UnaryResult } from '../../src/grpc/unary';
import { type H2Answer, grpcFrame, grpcStatusOf, h2Request } from '../helpers/raw-h2';

// The unary call path on a real HTTP/2 server and client, with a handler
// the test answers when it chooses (the whole server runs it in the other
// gRPC tests; here the timing of the answer is the point).

const METHOD = '/test.v1.Service/Method';
const LIMIT = 1024;

interface Pending {
  readonly request: UnaryRequest;
  answer(result: UnaryResult): void;
}

let server: http2.Http2Server;
let session: http2.ClientHttp2Session;
let pending: Pending[] = [];
let calls: Array<{ code: number }> = [];
const waiters: Array<() => void> = [];

const options: UnaryStreamOptions = {
  handler: (request) =>
    new Promise((resolve) => {
      pending.push({ request, answer: resolve });
      waiters.splice(0).forEach((wake) => wake());
    }),
  maxReceiveBytes: LIMIT,
  deadlines: new DeadlineSweep(),
  onCall: (record) => calls.push({ code: record.code }),
};

/** The next call that reached the handler. */
async function nextPending(): Promise<Pending> {
  while (pending.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
  return pending.shift()!;
}

beforeAll(async () => {
  server = http2.createServer();
  server.on('stream', (stream, headers) => new UnaryStreamCall(stream, headers, METHOD, options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  session = http2.connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
});
afterAll(async () => {
  session.close();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  pending = [];
  calls = [];
});

const headersOf = (extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders => ({
  ':method': 'POST',
  ':path': METHOD,
  'content-type': 'application/grpc',
  te: 'trailers',
  authorization: 'Bearer secret',
  ...extra,
});
const post = (body: Buffer, extra?: http2.OutgoingHttpHeaders): Promise<H2Answer> => h2Request(session, headersOf(extra), body);
const ok = (response: Uint8Array): UnaryResult => ({ code: 0, message: '', response });

it('hands the message and the metadata over, and answers headers, one message and trailers as grpc-js does', async () => {
  const answer = post(grpcFrame(Buffer.from([0x08, 0x01])), { 'x-request-id': 'r1', 'grpc-timeout': '10S' });
  const call = await nextPending();
  expect(call.request.method).toBe(METHOD);
  expect(Buffer.from(call.request.message)).toEqual(Buffer.from([0x08, 0x01]));
  // No pseudo-headers and none of the transport's own headers.
  expect(call.request.metadata).toEqual({ authorization: 'Bearer secret', 'x-request-id': 'r1' });
  call.answer(ok(Buffer.from([0x0a, 0x00])));
  const { status, headers, trailers, body } = await answer;
  expect(status).toBe(200);
  expect(headers['content-type']).toBe('application/grpc+proto');
  expect(body).toEqual(grpcFrame(Buffer.from([0x0a, 0x00])));
  expect(trailers['grpc-status']).toBe('0');
  expect(calls).toEqual([{ code: 0 }]);
});

it('answers an error trailers-only, its message percent-encoded and its details in grpc-status-details-bin', async () => {
  const answer = post(grpcFrame(Buffer.alloc(0)));
  (await nextPending()).answer({ code: 7, message: 'missing permission: iam.write (AUTH-5mWD2) é', details: Buffer.from([1, 2, 3]) });
  const { headers, trailers, body } = await answer;
  expect(headers['grpc-status']).toBe('7');
  expect(headers['grpc-message']).toBe('missing permission: iam.write (AUTH-5mWD2) %C3%A9');
  expect(Buffer.from(String(headers['grpc-status-details-bin']), 'base64')).toEqual(Buffer.from([1, 2, 3]));
  expect(trailers).toEqual({});
  expect(body.length).toBe(0);
});

it('answers DEADLINE_EXCEEDED when grpc-timeout passes first, and nothing more once the handler answers', async () => {
  const started = Date.now();
  const answer = post(grpcFrame(Buffer.alloc(0)), { 'grpc-timeout': '50m' });
  const call = await nextPending();
  const { headers, body } = await answer;
  expect(Date.now() - started).toBeGreaterThanOrEqual(49);
  expect(headers['grpc-status']).toBe('4');
  expect(headers['grpc-message']).toBe('Deadline exceeded');
  call.answer(ok(Buffer.from([1])));
  await new Promise((resolve) => setImmediate(resolve));
  expect(body.length).toBe(0);
  // Logged once, as the client was answered.
  expect(calls).toEqual([{ code: 4 }]);
});

it('answers before a deadline as without one', async () => {
  const answer = post(grpcFrame(Buffer.alloc(0)), { 'grpc-timeout': '5S' });
  (await nextPending()).answer(ok(Buffer.from([1])));
  expect(grpcStatusOf(await answer)).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(calls).toEqual([{ code: 0 }]);
});

it('writes nothing to a stream the client reset, and keeps serving', async () => {
  const stream = session.request(headersOf());
  stream.on('error', () => undefined);
  stream.end(grpcFrame(Buffer.alloc(0)));
  const call = await nextPending();
  stream.close(http2.constants.NGHTTP2_CANCEL);
  await new Promise((resolve) => stream.once('close', resolve));
  call.answer(ok(Buffer.from([1])));
  const next = post(grpcFrame(Buffer.alloc(0)));
  (await nextPending()).answer(ok(Buffer.from([2])));
  expect((await next).body).toEqual(grpcFrame(Buffer.from([2])));
});

it('refuses a length prefix past the limit at once, and resets the request still being sent', async () => {
  const stream = session.request(headersOf());
  stream.write(grpcFrame(Buffer.alloc(0), false, LIMIT + 1));
  const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
  expect(headers['grpc-status']).toBe('8');
  expect(headers['grpc-message']).toBe(`Received message larger than max (${LIMIT + 1} vs ${LIMIT})`);
  await new Promise((resolve) => stream.once('close', resolve));
  expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
  expect(pending).toEqual([]);
  expect(calls).toEqual([{ code: 8 }]);
});

it.each([
  ['no message', Buffer.alloc(0), 'Received no request message'],
  ['a truncated prefix', Buffer.from([0, 0, 0]), 'Received no request message'],
  ['a message shorter than its prefix says', grpcFrame(Buffer.from([8]), false, 10), 'Received no request message'],
  ['a second message', Buffer.concat([grpcFrame(Buffer.from([8, 1])), grpcFrame(Buffer.from([8, 2]))]), 'Received a second request message'],
])('%s is UNIMPLEMENTED, and runs nothing', async (_, body, message) => {
  const { headers } = await post(body);
  expect(headers['grpc-status']).toBe('12');
  expect(String(headers['grpc-message'])).toContain(message);
  expect(pending).toEqual([]);
});

describe('compressed messages', () => {
  const message = Buffer.from([0x08, 0x96, 0x01]);

  it.each([
    ['gzip', zlib.gzipSync(message)],
    ['deflate', zlib.deflateSync(message)],
  ])('are inflated by grpc-encoding %s', async (encoding, compressed) => {
    const answer = post(grpcFrame(compressed, true), { 'grpc-encoding': encoding });
    const call = await nextPending();
    expect(Buffer.from(call.request.message)).toEqual(message);
    call.answer(ok(Buffer.from([1])));
    expect(grpcStatusOf(await answer)).toBe(0);
  });

  it('are read as they are when no grpc-encoding names one, as grpc-js reads them', async () => {
    const answer = post(grpcFrame(message, true));
    const call = await nextPending();
    expect(Buffer.from(call.request.message)).toEqual(message);
    call.answer(ok(Buffer.from([1])));
    expect(grpcStatusOf(await answer)).toBe(0);
  });

  it.each([
    ['an encoding not offered is UNIMPLEMENTED', grpcFrame(message, true), 'br', 12],
    ['bytes that do not inflate are INTERNAL', grpcFrame(Buffer.from('not gzip'), true), 'gzip', 13],
    ['a message larger than the limit once inflated is RESOURCE_EXHAUSTED', grpcFrame(zlib.gzipSync(Buffer.alloc(LIMIT + 1)), true), 'gzip', 8],
  ])('%s', async (_, body, encoding, code) => {
    const answer = await post(body, { 'grpc-encoding': encoding });
    expect(grpcStatusOf(answer)).toBe(code);
    expect(pending).toEqual([]);
    expect(calls).toEqual([{ code }]);
  });
});
