/**
 * An instance started without seeded settings (SEED_DEFAULTS=false): Get
 * answers NOT_FOUND, so the page says so, and saving adds the settings.
 */
import type { Client } from '@grpc/grpc-js';
import { adminClient, call } from '../helpers/grpc-client';
import { type TestServer, startTestServer } from '../helpers/server';
import { type Chromium, launchChromium } from './chromium';
import { SettingsPage } from './settings-page';

jest.setTimeout(60_000);

describe('the settings page on an instance without settings', () => {
  let server: TestServer;
  let chromium: Chromium;
  let grpc: Client;

  beforeAll(async () => {
    [server, chromium] = await Promise.all([
      startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', SEED_DEFAULTS: 'false' }),
      launchChromium(),
    ]);
    grpc = adminClient(server.grpcPort);
  });

  afterAll(async () => {
    grpc?.close();
    await Promise.all([chromium?.close(), server?.stop()]);
  });

  it('says there are none yet, and saving adds them', async () => {
    const page = await SettingsPage.open(chromium.context, `http://127.0.0.1:${server.server.http.port}/ui/`);
    await page.signIn(server.adminToken);
    await page.page.locator('#page-message').filter({ hasText: 'no OIDC settings yet' }).waitFor();
    expect(await page.current('access_token_lifetime')).toBe('not set');

    await page.setLifetime('access_token_lifetime', '1', 'hours');
    await page.setLifetime('id_token_lifetime', '1', 'hours');
    await page.setLifetime('refresh_token_idle_expiration', '7', 'days');
    await page.setLifetime('refresh_token_expiration', '30', 'days');
    await page.save();
    expect(await page.saveOutcome()).toMatch(/^Saved\./);
    expect(page.requests.map((r) => r.path)).toEqual([
      '/zitadel.admin.v1.AdminService/GetOIDCSettings',
      '/zitadel.admin.v1.AdminService/AddOIDCSettings',
    ]);

    const stored = await call<{ settings: { refreshTokenExpiration: object } }>(grpc, 'GetOIDCSettings', {}, server.adminToken);
    expect(stored).toMatchObject({ ok: true, response: { settings: { refreshTokenExpiration: { seconds: String(30 * 86_400) } } } });
    await page.close();
  });
});
