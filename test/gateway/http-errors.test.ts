/**
 * Errors over HTTP (REFERENCE §3): the code -> status table, one
 * google.rpc.Status body for routing and RPC errors, and nothing a client
 * sends can crash the gateway or leave it hanging: after each bad request
 * the next one succeeds.
 */
import { type TestServer, startTestServer } from '../helpers/server';
import { rawRequest } from '../helpers/raw-http';
import { codeToHttpStatus } from '../../gateway/http-status';

let server: TestServer;
let port: number;
const PATH = '/admin/v1/settings/oidc';
const GRPC_PATH = '/zitadel.admin.v1.AdminService/UpdateOIDCSettings';

beforeAll(async () => {
  server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', MAX_BODY_BYTES: '2048' });
  port = server.server.http.port;
});
afterAll(() => server.stop());

const auth = () => ({ authorization: `Bearer ${server.adminToken}` });
const json = (body: Buffer) => JSON.parse(body.toString('utf8')) as { code: number; message: string; details?: unknown[] };

async function stillServes(): Promise<void> {
  const response = await rawRequest(port, { method: 'GET', path: PATH, headers: auth() });
  expect(response.status).toBe(200);
}

describe('code to HTTP status', () => {
  it.each([
    [0, 200], [1, 499], [2, 500], [3, 400], [4, 504], [5, 404], [6, 409], [7, 403], [8, 429],
    [9, 400], [10, 409], [11, 400], [12, 501], [13, 500], [14, 503], [15, 500], [16, 401], [99, 500],
  ])('%i -> %i', (code, status) => {
    expect(codeToHttpStatus(code)).toBe(status);
  });
});

describe('REST errors', () => {
  it('401 carries WWW-Authenticate and a google.rpc.Status with the ErrorDetail', async () => {
    const r = await rawRequest(port, { method: 'GET', path: PATH });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(json(r.body)).toEqual({
      code: 16,
      message: 'auth header missing (AUTH-7fs1e)',
      details: [{ '@type': 'type.googleapis.com/zitadel.v1.ErrorDetail', id: 'AUTH-7fs1e', message: 'auth header missing' }],
    });
  });

  it('400 for invalid lifetimes carries the BadRequest field violations', async () => {
    const r = await rawRequest(port, { method: 'PUT', path: PATH, headers: auth(), body: '{"accessTokenLifetime":"0s"}' });
    expect(r.status).toBe(400);
    const body = json(r.body);
    expect(body.code).toBe(3);
    expect(body.details).toContainEqual({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: expect.arrayContaining([
        { field: 'access_token_lifetime', description: 'access_token_lifetime must be greater than 0' },
      ]) as unknown,
    });
  });

  it.each([
    ['a number for a Duration', '{"accessTokenLifetime": 5}', 'accessTokenLifetime'],
    ['a word for a Duration', '{"idTokenLifetime": "abc"}', 'idTokenLifetime'],
    ['an overflowing Duration', '{"refreshTokenExpiration": "1e400s"}', 'refreshTokenExpiration'],
    ['a Duration beyond the range', '{"refreshTokenIdleExpiration": "315576000001s"}', 'refreshTokenIdleExpiration'],
    ['malformed JSON', '{"accessTokenLifetime": "1s",', 'JSON'],
    ['not an object', '["1s"]', 'JSON object'],
  ])('400 for %s, naming it', async (_name, body, named) => {
    const r = await rawRequest(port, { method: 'PUT', path: PATH, headers: { ...auth(), 'content-type': 'application/json' }, body });
    expect(r.status).toBe(400);
    expect(json(r.body).code).toBe(3);
    expect(json(r.body).message).toContain(named);
    await stillServes();
  });

  it('400 for a body that is not UTF-8', async () => {
    const body = Buffer.concat([Buffer.from('{"accessTokenLifetime":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await rawRequest(port, { method: 'PUT', path: PATH, headers: auth(), body });
    expect(r.status).toBe(400);
    expect(json(r.body).message).toContain('UTF-8');
    await stillServes();
  });

  it('accepts the content types JSON arrives with (curl -d sends form-urlencoded, a simple browser request text/plain), or none, and refuses others with 415', async () => {
    const body = '{"accessTokenLifetime":"1s","idTokenLifetime":"1s","refreshTokenIdleExpiration":"1s","refreshTokenExpiration":"1s"}';
    const types = ['application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'application/x-www-form-urlencoded', 'text/plain'];
    for (const type of types) {
      const r = await rawRequest(port, { method: 'PUT', path: PATH, headers: { ...auth(), 'content-type': type }, body });
      expect({ type, status: r.status }).toEqual({ type, status: 200 });
    }
    expect((await rawRequest(port, { method: 'PUT', path: PATH, headers: auth(), body })).status).toBe(200);
    const r = await rawRequest(port, { method: 'PUT', path: PATH, headers: { ...auth(), 'content-type': 'application/xml' }, body });
    expect(r.status).toBe(415);
    expect(json(r.body).code).toBe(3);
  });

  it('404 for an unknown path and 405 with Allow for a known one, with the same error body', async () => {
    const unknown = await rawRequest(port, { method: 'GET', path: '/admin/v1/settings/saml' });
    expect(unknown.status).toBe(404);
    expect(json(unknown.body)).toEqual({ code: 5, message: 'no route for GET /admin/v1/settings/saml' });
    const wrong = await rawRequest(port, { method: 'DELETE', path: PATH });
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, POST, PUT');
    expect(json(wrong.body).code).toBe(12);
  });

  it('413 for a body over the limit, from Content-Length or while streaming', async () => {
    const big = `{"pad":"${'x'.repeat(4096)}"}`;
    const declared = await rawRequest(port, { method: 'PUT', path: PATH, headers: auth(), body: big });
    expect(declared.status).toBe(413);
    expect(json(declared.body).code).toBe(8);
    const chunked = await rawRequest(port, { method: 'PUT', path: PATH, headers: { ...auth(), 'transfer-encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);
    await stillServes();
  });
});

describe('gRPC-Web errors', () => {
  const frame = (payload: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, payload.length]), payload]);
  const call = (body: Buffer | string, contentType = 'application/grpc-web+proto') =>
    rawRequest(port, { method: 'POST', path: GRPC_PATH, headers: { ...auth(), 'content-type': contentType }, body });

  it.each([
    ['a truncated prefix', Buffer.from([0, 0, 0])],
    ['a length prefix larger than the body', Buffer.from([0, 0, 0, 0, 50, 1, 2, 3])],
    ['two message frames', Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))])],
    ['no frame at all', Buffer.alloc(0)],
    ['a compressed frame', Buffer.from([1, 0, 0, 0, 0])],
  ])('4xx for %s, and the next call succeeds', async (_name, body) => {
    const r = await call(body);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(Number(r.headers['grpc-status'])).toBeGreaterThan(0);
    expect(r.headers['grpc-message']).toBeTruthy();
    await stillServes();
  });

  it.each([
    ['characters outside base64', 'AAAA!AAA'],
    ['a length not a multiple of 4', 'AAAAAAA'],
    ['padding in the middle of a group', 'A=AA'],
  ])('400 for text-mode %s', async (_name, body) => {
    const r = await call(body, 'application/grpc-web-text');
    expect(r.status).toBe(400);
    expect(r.headers['grpc-message']).toContain('base64');
    await stillServes();
  });

  it('413 for a body over the limit', async () => {
    const r = await call(frame(Buffer.alloc(4000)));
    expect(r.status).toBe(413);
    expect(r.headers['grpc-status']).toBe('8');
    await stillServes();
  });

  it('415 for a gRPC path with neither a gRPC-Web nor a Connect content type, as a Connect error', async () => {
    for (const type of ['application/grpc', 'text/plain', 'application/connect+proto']) {
      const r = await call(frame(Buffer.alloc(0)), type);
      expect(r.status).toBe(415);
      const body = json(r.body);
      expect(body.code).toBe('unimplemented');
      expect(String(body.message)).toContain(type);
    }
  });

  it('answers a Connect GET (connect=v1) to a method it does not know as Connect: 404 unimplemented', async () => {
    const r = await rawRequest(port, { method: 'GET', path: '/grpc.health.v1.Health/Check?connect=v1&encoding=json&message=%7B%7D', headers: auth() });
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(json(r.body).code).toBe('unimplemented');
    // Without connect=v1 it is no protocol's call in particular: refused as before.
    const plain = await rawRequest(port, { method: 'GET', path: '/grpc.health.v1.Health/Check', headers: auth() });
    expect(plain.status).toBe(405);
    expect(plain.headers['allow']).toBe('POST');
  });

  it('answers UNIMPLEMENTED for an unknown method', async () => {
    const r = await rawRequest(port, {
      method: 'POST',
      path: '/zitadel.admin.v1.AdminService/RemoveOIDCSettings',
      headers: { ...auth(), 'content-type': 'application/grpc-web' },
      body: frame(Buffer.alloc(0)),
    });
    expect(r.status).toBe(200);
    expect(r.headers['grpc-status']).toBe('12');
  });
});
