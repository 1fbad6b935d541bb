/**
 * The page hosted on another origin than the gateway (?api= names the
 * gateway). Chromium sends a CORS preflight before each gRPC-Web call; the
 * gateway must answer it, and the call, for an origin in CORS_ORIGINS and
 * refuse both for any other.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { staticRoute } from '../../gateway/static';
import { type TestServer, startTestServer } from '../helpers/server';
import { type Chromium, launchChromium } from './chromium';
import { SettingsPage } from './settings-page';

jest.setTimeout(60_000);

/** What the gateway was asked and what it answered, seen from its own HTTP server. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
  readonly status: number;
  readonly allowOrigin: string | undefined;
}

/** Serves the built page from its own port: a second origin. */
async function pageHost(): Promise<{ origin: string; close(): Promise<void> }> {
  const route = staticRoute({ folder: path.join(__dirname, '../../web/dist'), mount: '/ui/' });
  const server = http.createServer((request, response) => void route.handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the page on another origin', () => {
  let allowed: Awaited<ReturnType<typeof pageHost>>;
  let denied: Awaited<ReturnType<typeof pageHost>>;
  let server: TestServer;
  let chromium: Chromium;
  let api: string;
  const seen: Seen[] = [];
  const seenFrom = (origin: string) => seen.filter((s) => s.origin === origin);

  beforeAll(async () => {
    [allowed, denied, chromium] = await Promise.all([pageHost(), pageHost(), launchChromium()]);
    server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', CORS_ORIGINS: allowed.origin });
    api = `http://127.0.0.1:${server.server.http.port}`;
    server.server.http.server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      response.on('finish', () =>
        seen.push({
          method: request.method ?? '',
          path: request.url ?? '',
          origin: request.headers.origin,
          status: response.statusCode,
          allowOrigin: response.getHeader('access-control-allow-origin') as string | undefined,
        }),
      );
    });
  });

  afterAll(async () => {
    await Promise.all([chromium?.close(), server?.stop(), allowed?.close(), denied?.close()]);
  });

  it('calls the gateway from an allowed origin: preflight and call succeed', async () => {
    const page = await SettingsPage.open(chromium.context, `${allowed.origin}/ui/?api=${encodeURIComponent(api)}`);
    expect(await page.page.locator('#api-base').innerText()).toBe(api);
    await page.signIn(server.adminToken);
    await page.loaded();
    expect(await page.current('access_token_lifetime')).toBe('12 hours');
    await page.setLifetime('access_token_lifetime', '2', 'hours');
    await page.save();
    expect(await page.saveOutcome()).toMatch(/^Saved\./);

    const calls = page.requests.map((r) => `${r.method} ${new URL(r.url).origin}${r.path}`);
    expect(calls).toEqual([
      `POST ${api}/zitadel.admin.v1.AdminService/GetOIDCSettings`,
      `POST ${api}/zitadel.admin.v1.AdminService/UpdateOIDCSettings`,
    ]);
    const fromAllowed = seenFrom(allowed.origin);
    for (const method of ['GetOIDCSettings', 'UpdateOIDCSettings']) {
      const rpcPath = `/zitadel.admin.v1.AdminService/${method}`;
      expect(fromAllowed).toContainEqual({ method: 'OPTIONS', path: rpcPath, origin: allowed.origin, status: 204, allowOrigin: allowed.origin });
      expect(fromAllowed).toContainEqual({ method: 'POST', path: rpcPath, origin: allowed.origin, status: 200, allowOrigin: allowed.origin });
    }
    await page.close();
  });

  it('refuses a disallowed origin: the preflight gets no CORS grant, the call is never sent', async () => {
    const page = await SettingsPage.open(chromium.context, `${denied.origin}/ui/?api=${encodeURIComponent(api)}`);
    await page.signIn(server.adminToken);
    const message = page.page.locator('#page-message .error');
    await message.waitFor();
    expect(await message.innerText()).toContain(`Could not reach the server at ${api}`);
    expect(await page.page.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);

    const fromDenied = seenFrom(denied.origin);
    expect(fromDenied).toContainEqual({
      method: 'OPTIONS',
      path: '/zitadel.admin.v1.AdminService/GetOIDCSettings',
      origin: denied.origin,
      status: 204,
      allowOrigin: undefined,
    });
    expect(fromDenied.filter((s) => s.method !== 'OPTIONS')).toEqual([]);
    await page.close();
  });
});
