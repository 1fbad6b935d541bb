/** CORS for browser clients (REFERENCE §5). */
import { type TestServer, startTestServer } from '../helpers/server';
import { rawRequest } from '../helpers/raw-http';

const ALLOWED = 'https://admin.example.com';

describe.each([
  ['a list of origins', { CORS_ORIGINS: `${ALLOWED}, http://localhost:3000`, CORS_ALLOWED_HEADERS: 'X-Request-Id' }, 'https://evil.example.com'],
  ['any origin (the default)', { CORS_ALLOWED_HEADERS: 'X-Request-Id' }, undefined],
] as const)('CORS with %s', (_name, env, disallowed) => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ...env });
    port = server.server.http.port;
  });
  afterAll(() => server.stop());

  const preflight = (origin: string, path: string, method: string) =>
    rawRequest(port, {
      method: 'OPTIONS',
      path,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'content-type, authorization, x-grpc-web, x-user-agent, grpc-timeout, x-request-id, cookie, x-custom',
      },
    });

  it('answers a gRPC-Web preflight with the origin, POST, the protocol and configured headers and a max-age', async () => {
    const r = await preflight(ALLOWED, '/zitadel.admin.v1.AdminService/UpdateOIDCSettings', 'POST');
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(r.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    const headers = String(r.headers['access-control-allow-headers']).split(', ').sort();
    // The protocols' headers and CORS_ALLOWED_HEADERS (lower-cased), and nothing the preflight merely asked for.
    expect(headers).toEqual([
      'accept-language',
      'authorization',
      'connect-accept-encoding',
      'connect-content-encoding',
      'connect-protocol-version',
      'connect-timeout-ms',
      'content-encoding',
      'content-type',
      'grpc-accept-encoding',
      'grpc-encoding',
      'grpc-timeout',
      'x-grpc-web',
      'x-request-id',
      'x-user-agent',
    ]);
    expect(Number(r.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(String(r.headers['vary'])).toContain('Origin');
  });

  it('answers a REST preflight with the methods of the route', async () => {
    const r = await preflight(ALLOWED, '/admin/v1/settings/oidc', 'PUT');
    expect(r.headers['access-control-allow-methods']).toBe('GET, POST, PUT, OPTIONS');
  });

  it('never grants credentials: bearer tokens travel in a header, no cookie is used', async () => {
    const pre = await preflight(ALLOWED, '/zitadel.admin.v1.AdminService/UpdateOIDCSettings', 'POST');
    const actual = await rawRequest(port, { method: 'GET', path: '/admin/v1/settings/oidc', headers: { origin: ALLOWED } });
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(actual.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    expect(actual.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each(['null', 'file://', 'not an origin', `${ALLOWED}/path`])('never allows the origin %j', async (origin) => {
    const pre = await preflight(origin, '/zitadel.admin.v1.AdminService/UpdateOIDCSettings', 'POST');
    expect(Object.keys(pre.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const actual = await rawRequest(port, { method: 'GET', path: '/admin/v1/settings/oidc', headers: { origin } });
    expect(Object.keys(actual.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(String(actual.headers['vary'])).toContain('Origin');
  });

  it('exposes the gRPC status headers on the actual response', async () => {
    const r = await rawRequest(port, { method: 'GET', path: '/admin/v1/settings/oidc', headers: { origin: ALLOWED } });
    expect(r.status).toBe(401);
    expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
    const exposed = String(r.headers['access-control-expose-headers']).split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['grpc-status', 'grpc-message', 'grpc-status-details-bin']));
  });

  if (disallowed) {
    it('gives a disallowed origin no CORS headers at all', async () => {
      const pre = await preflight(disallowed, '/zitadel.admin.v1.AdminService/UpdateOIDCSettings', 'POST');
      expect(Object.keys(pre.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      const actual = await rawRequest(port, { method: 'GET', path: '/admin/v1/settings/oidc', headers: { origin: disallowed } });
      expect(Object.keys(actual.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    });
  }

  it('gives an unknown path no CORS approval', async () => {
    const r = await preflight(ALLOWED, '/nothing/here', 'GET');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});
