/**
 * An instance started without seeded settings (SEED_DEFAULTS=false): Get
 * answers NOT_FOUND, so the page says so, and saving adds the settings;
 * unless someone else added them meanwhile, which the server refuses.
 */
import type { Client } from '@grpc/grpc-js';
import { adminClient, call } from '../helpers/grpc-client';
import { type TestServer, startTestServer } from '../helpers/server';
import { type Chromium, launchChromium } from './chromium';
import { FIELDS, type Field, SettingsPage } from './settings-page';

jest.setTimeout(60_000);

describe('the settings page on an instance without settings', () => {
  let chromium: Chromium;
  let server: TestServer;
  let grpc: Client;

  /** Each test gets an instance of its own, each without settings. */
  beforeAll(async () => {
    chromium = await launchChromium();
  });
  beforeEach(async () => {
    server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', SEED_DEFAULTS: 'false' });
    grpc = adminClient(server.grpcPort);
  });
  afterEach(async () => {
    grpc?.close();
    await server?.stop();
  });
  afterAll(async () => {
    await chromium?.close();
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

  it('tells a general refusal in plain words, with the server\'s text and id once', async () => {
    const page = await SettingsPage.open(chromium.context, `http://127.0.0.1:${server.server.http.port}/ui/`);
    await page.signIn(server.adminToken);
    await page.page.locator('#page-message').filter({ hasText: 'no OIDC settings yet' }).waitFor();
    // Someone else adds the settings while the page shows none: its Add is refused with ALREADY_EXISTS.
    const hour = { seconds: '3600', nanos: 0 };
    const lifetimes = { accessTokenLifetime: hour, idTokenLifetime: hour, refreshTokenIdleExpiration: hour, refreshTokenExpiration: hour };
    expect((await call(grpc, 'AddOIDCSettings', lifetimes, server.adminToken)).ok).toBe(true);

    for (const field of Object.keys(FIELDS) as Field[]) await page.setLifetime(field, '2', 'hours');
    await page.save();
    expect(await page.saveOutcome()).toBe('Not saved. The server said: “OIDC configuration already exists”. (INST-0aaj1o)');
    expect(await page.page.locator('#save-message small.error-id').innerText()).toBe('(INST-0aaj1o)');
    await page.close();
  });
});
