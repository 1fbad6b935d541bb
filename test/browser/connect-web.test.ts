/**
 * The Connect protocol from a browser: connect-es's browser client
 * (@connectrpc/connect-web createConnectTransport over fetch), bundled by
 * esbuild from connect-web-client.ts and run in headless Chromium, calls the
 * gateway from a page on the gateway's own origin (its /ui/ page) and from
 * pages on other origins, where Chromium sends a CORS preflight for
 * content-type, authorization and connect-protocol-version first. Each answer
 * must be the one native gRPC gives for the same call.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Code } from '@connectrpc/connect';
import type { JsonObject } from '@bufbuild/protobuf';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { type Caller, grpcCaller } from '../helpers/protocols';
import { type TestServer, startTestServer } from '../helpers/server';
import { type Chromium, launchChromium } from './chromium';
import type { BrowserCall, BrowserResult, ConnectGlobal } from './connect-web-client';

jest.setTimeout(60_000);

const GET_PATH = '/zitadel.admin.v1.AdminService/GetOIDCSettings';

const lifetimes = (a: string, b: string, c: string, d: string): JsonObject => ({
  accessTokenLifetime: a,
  idTokenLifetime: b,
  refreshTokenIdleExpiration: c,
  refreshTokenExpiration: d,
});

/** connect-web-client.ts and everything it imports, as one classic script for a page. */
async function clientBundle(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.join(__dirname, 'connect-web-client.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

/** A blank page on its own port: an origin other than the gateway's. */
async function pageHost(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><meta charset="utf-8"><title>another origin</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What the gateway was asked and what it answered, seen from its own HTTP server. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
  readonly status: number;
  readonly allowOrigin: string | undefined;
  /** A preflight's access-control-request-headers, and what the answer allowed. */
  readonly requestHeaders: string[];
  readonly allowHeaders: string[];
}

const list = (value: unknown): string[] => (typeof value === 'string' && value !== '' ? value.split(/\s*,\s*/).sort() : []);

/** A Connect call as the browser sent it. */
interface Sent {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly protocolVersion: string | undefined;
}

/** A tab at `url` with the connect-web client installed; records the AdminService calls it sends. */
async function openWithClient(chromium: Chromium, url: string, bundle: string): Promise<{ page: Page; sent: Sent[] }> {
  const page = await chromium.context.newPage();
  const sent: Sent[] = [];
  page.on('request', (request) => {
    const target = new URL(request.url());
    if (!target.pathname.startsWith('/zitadel.admin.v1.AdminService/')) return;
    const headers = request.headers();
    sent.push({ method: request.method(), path: target.pathname, contentType: headers['content-type'], protocolVersion: headers['connect-protocol-version'] });
  });
  await page.goto(url);
  // Evaluated through the DevTools protocol: the /ui/ page's CSP (script-src 'self')
  // refuses inline scripts, while what the client then fetches still obeys its connect-src.
  await page.evaluate(bundle);
  return { page, sent };
}

/** The call goes in as JSON text: playwright's types for a structured argument recurse too deep on JsonObject. */
const callIn = (page: Page, call: BrowserCall): Promise<BrowserResult> =>
  page.evaluate((json) => (globalThis as unknown as ConnectGlobal).connectCall(JSON.parse(json) as BrowserCall), JSON.stringify(call));

let server: TestServer;
let chromium: Chromium;
let bundle: string;
let grpc: Caller & { close(): void };
let allowed: Awaited<ReturnType<typeof pageHost>>;
let denied: Awaited<ReturnType<typeof pageHost>>;
let api: string;
const seen: Seen[] = [];

beforeAll(async () => {
  [allowed, denied, chromium, bundle] = await Promise.all([pageHost(), pageHost(), launchChromium(), clientBundle()]);
  server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', CORS_ORIGINS: allowed.origin });
  api = `http://127.0.0.1:${server.server.http.port}`;
  grpc = grpcCaller({ grpcPort: server.grpcPort, httpPort: server.server.http.port });
  server.server.http.server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    response.on('finish', () =>
      seen.push({
        method: request.method ?? '',
        path: request.url ?? '',
        origin: request.headers.origin,
        status: response.statusCode,
        allowOrigin: response.getHeader('access-control-allow-origin') as string | undefined,
        requestHeaders: list(request.headers['access-control-request-headers']),
        allowHeaders: list(response.getHeader('access-control-allow-headers')),
      }),
    );
  });
});

afterAll(async () => {
  grpc?.close();
  await Promise.all([chromium?.close(), server?.stop(), allowed?.close(), denied?.close()]);
});

describe("connect-web on the gateway's own page (/ui/)", () => {
  let page: Page;
  let sent: Sent[];
  beforeAll(async () => {
    ({ page, sent } = await openWithClient(chromium, `${api}/ui/`, bundle));
  });
  afterAll(() => page?.close());

  it('updates and reads the settings over Connect JSON and binary, answered as native gRPC answers', async () => {
    sent.length = 0;
    for (const [i, binary] of [false, true].entries()) {
      const values = lifetimes(`${7200 + i}s`, '1.5s', '0.000000001s', '604800s');
      const updated = await callIn(page, { baseUrl: api, method: 'updateOIDCSettings', request: values, token: server.adminToken, binary });
      expect({ binary, code: updated.code }).toEqual({ binary, code: 0 });
      expect((updated.json as { details: JsonObject }).details).toMatchObject({ resourceOwner: server.server.instanceId });

      const got = await callIn(page, { baseUrl: api, method: 'getOIDCSettings', request: {}, token: server.adminToken, binary });
      expect({ binary, settings: (got.json as { settings?: JsonObject }).settings }).toMatchObject({
        binary,
        settings: {
          accessTokenLifetime: `${7200 + i}s`,
          idTokenLifetime: '1.500s',
          refreshTokenIdleExpiration: '0.000000001s',
          refreshTokenExpiration: '604800s',
        },
      });
      expect({ binary, ...got }).toEqual({ binary, ...(await grpc('getOIDCSettings', {}, server.adminToken)) });
    }
    // The Connect protocol itself, not gRPC-Web: the bare message as JSON, then as proto, version 1.
    const connect = (method: string, contentType: string): Sent => ({
      method: 'POST',
      path: `/zitadel.admin.v1.AdminService/${method}`,
      contentType,
      protocolVersion: '1',
    });
    expect(sent).toEqual([
      connect('UpdateOIDCSettings', 'application/json'),
      connect('GetOIDCSettings', 'application/json'),
      connect('UpdateOIDCSettings', 'application/proto'),
      connect('GetOIDCSettings', 'application/proto'),
    ]);
  });

  it.each([false, true])('reads refusals as native gRPC gives them, code, message and details (binary %s)', async (binary) => {
    const noToken = await callIn(page, { baseUrl: api, method: 'getOIDCSettings', request: {}, binary });
    expect(noToken).toMatchObject({ code: Code.Unauthenticated, id: 'AUTH-7fs1e' });
    expect(noToken).toEqual(await grpc('getOIDCSettings', {}));

    const zero = lifetimes('0s', '1s', '1s', '1s');
    const invalid = await callIn(page, { baseUrl: api, method: 'updateOIDCSettings', request: zero, token: server.adminToken, binary });
    expect(invalid).toMatchObject({ code: Code.InvalidArgument, id: 'INST-10sxks', violations: ['access_token_lifetime'] });
    expect(invalid).toEqual(await grpc('updateOIDCSettings', zero, server.adminToken));
  });

  it('answers a call made by hand with fetch as the protocol defines it: 200 and the message, or 401 and a Connect error', async () => {
    const byHand = (token: string | undefined) =>
      page.evaluate(
        async ({ url, token }) => {
          const headers: Record<string, string> = { 'content-type': 'application/json', 'connect-protocol-version': '1' };
          if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
          const response = await fetch(url, { method: 'POST', headers, body: '{}' });
          return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as JsonObject };
        },
        { url: `${api}${GET_PATH}`, token },
      );
    const ok = await byHand(server.adminToken);
    expect({ status: ok.status, contentType: ok.contentType }).toEqual({ status: 200, contentType: 'application/json' });
    expect(ok.body).toEqual((await grpc('getOIDCSettings', {}, server.adminToken)).json);

    const refused = await byHand(undefined);
    expect({ status: refused.status, contentType: refused.contentType }).toEqual({ status: 401, contentType: 'application/json' });
    expect(refused.body).toEqual({
      code: 'unauthenticated',
      message: (await grpc('getOIDCSettings', {})).message,
      details: [{ type: 'zitadel.v1.ErrorDetail', value: expect.any(String) as string }],
    });
  });
});

describe('connect-web on another origin', () => {
  it('from an allowed origin: the preflight grants connect-protocol-version, then the call and its refusal come through', async () => {
    const { page, sent } = await openWithClient(chromium, `${allowed.origin}/`, bundle);
    try {
      for (const binary of [false, true]) {
        const got = await callIn(page, { baseUrl: api, method: 'getOIDCSettings', request: {}, token: server.adminToken, binary });
        expect({ binary, ...got }).toEqual({ binary, ...(await grpc('getOIDCSettings', {}, server.adminToken)) });
        expect(got.code).toBe(0);
        // The error body is readable across origins: its code and details, not just a failed fetch.
        const refused = await callIn(page, { baseUrl: api, method: 'getOIDCSettings', request: {}, binary });
        expect({ binary, ...refused }).toEqual({ binary, ...(await grpc('getOIDCSettings', {})) });
        expect(refused).toMatchObject({ code: Code.Unauthenticated, id: 'AUTH-7fs1e' });
      }
      expect(sent.map((s) => s.contentType)).toEqual(['application/json', 'application/json', 'application/proto', 'application/proto']);
    } finally {
      await page.close();
    }

    const fromAllowed = seen.filter((s) => s.origin === allowed.origin && s.path === GET_PATH);
    const preflights = fromAllowed.filter((s) => s.method === 'OPTIONS');
    expect(preflights.length).toBeGreaterThan(0);
    for (const preflight of preflights) {
      expect(preflight.requestHeaders).toContain('connect-protocol-version');
      expect(preflight).toMatchObject({ status: 204, allowOrigin: allowed.origin });
      for (const header of preflight.requestHeaders) expect(preflight.allowHeaders).toContain(header);
    }
    expect(fromAllowed.filter((s) => s.method === 'POST').map((s) => ({ status: s.status, allowOrigin: s.allowOrigin }))).toEqual([
      { status: 200, allowOrigin: allowed.origin },
      { status: 401, allowOrigin: allowed.origin },
      { status: 200, allowOrigin: allowed.origin },
      { status: 401, allowOrigin: allowed.origin },
    ]);
  });

  it('from an origin not in CORS_ORIGINS: no grant, connect-web fails and the call never reaches the gateway', async () => {
    const { page } = await openWithClient(chromium, `${denied.origin}/`, bundle);
    try {
      const result = await callIn(page, { baseUrl: api, method: 'getOIDCSettings', request: {}, token: server.adminToken, binary: false });
      // fetch rejects without an answer to read; connect-es calls that Unknown.
      expect(result.code).toBe(Code.Unknown);
      expect(result.json).toBeUndefined();
    } finally {
      await page.close();
    }
    const fromDenied = seen.filter((s) => s.origin === denied.origin);
    expect(fromDenied).toContainEqual(expect.objectContaining({ method: 'OPTIONS', path: GET_PATH, status: 204, allowOrigin: undefined }));
    expect(fromDenied.filter((s) => s.method !== 'OPTIONS')).toEqual([]);
  });
});
