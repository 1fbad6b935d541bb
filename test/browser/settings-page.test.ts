/**
 * The settings page in Debian's Chromium, against the real server (gRPC on
 * a free port, the gateway serving the page and gRPC-Web on another), with
 * a temporary data folder. What the page shows is checked against what a
 * plain gRPC client reads.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@grpc/grpc-js';
import { CLI } from '../helpers/cli';
import { adminClient, call } from '../helpers/grpc-client';
import { type TestServer, startTestServer } from '../helpers/server';
import { type Chromium, TEST_OUTPUT, launchChromium } from './chromium';
import { SettingsPage } from './settings-page';

jest.setTimeout(60_000);

interface Settings {
  settings: {
    details: { sequence: string; resourceOwner: string };
    accessTokenLifetime: { seconds: string; nanos: number };
    idTokenLifetime: { seconds: string; nanos: number };
  };
}


describe('the settings page', () => {
  let server: TestServer;
  let chromium: Chromium;
  let grpc: Client;
  let pageUrl: string;
  let viewerToken: string;

  const grpcGet = async (): Promise<Settings['settings']> => {
    const outcome = await call<Settings>(grpc, 'GetOIDCSettings', {}, server.adminToken);
    if (!outcome.ok) throw new Error(`GetOIDCSettings: ${outcome.code} ${outcome.message}`);
    return outcome.response.settings;
  };

  const signedIn = async (token = server.adminToken): Promise<SettingsPage> => {
    const page = await SettingsPage.open(chromium.context, pageUrl);
    await page.signIn(token);
    return page;
  };

  beforeAll(async () => {
    [server, chromium] = await Promise.all([startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' }), launchChromium()]);
    grpc = adminClient(server.grpcPort);
    pageUrl = `http://127.0.0.1:${server.server.http.port}/ui/`;
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'token', 'create', '--role', 'IAM_OWNER_VIEWER'], {
      env: { ...process.env, DATA_DIR: server.dataDir },
    });
    viewerToken = stdout.trim();
  });

  afterAll(async () => {
    grpc?.close();
    await Promise.all([chromium?.close(), server?.stop()]);
  });

  it('shows the seeded defaults, saves a change over gRPC-Web, and shows it again after a reload', async () => {
    const page = await signedIn();
    await page.loaded();
    expect(await page.current('access_token_lifetime')).toBe('12 hours');
    expect(await page.current('id_token_lifetime')).toBe('12 hours');
    expect(await page.current('refresh_token_idle_expiration')).toBe('30 days');
    expect(await page.current('refresh_token_expiration')).toBe('90 days');
    expect(await page.amount('refresh_token_expiration').inputValue()).toBe('90');
    expect(await page.unit('refresh_token_expiration').inputValue()).toBe('days');
    expect(await page.detail('resource-owner')).toBe(server.server.instanceId);
    expect(await page.page.locator('#detail-change-date time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    const sequenceBefore = BigInt(await page.detail('sequence'));

    await page.setLifetime('access_token_lifetime', '90', 'minutes');
    await page.save();
    expect(await page.saveOutcome()).toMatch(/^Saved\./);
    expect(await page.current('access_token_lifetime')).toBe('1 hour 30 minutes');
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const shot = path.join(TEST_OUTPUT, 'settings-page-after-save.png');
    fs.rmSync(shot, { force: true });
    await page.page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(1000);

    // The token stays in this tab's sessionStorage: a reload signs in again by itself.
    await page.page.reload();
    await page.loaded();
    expect(await page.current('access_token_lifetime')).toBe('1 hour 30 minutes');
    expect(await page.amount('access_token_lifetime').inputValue()).toBe('90');
    expect(await page.unit('access_token_lifetime').inputValue()).toBe('minutes');
    const sequenceAfter = BigInt(await page.detail('sequence'));
    expect(sequenceAfter).toBeGreaterThan(sequenceBefore);

    const stored = await grpcGet();
    expect(stored.accessTokenLifetime).toEqual({ seconds: '5400', nanos: 0 });
    expect(stored.details.sequence).toBe(String(sequenceAfter));

    // Every call went out as gRPC-Web, and the token never went into a URL.
    expect(page.requests.map((r) => r.path)).toEqual([
      '/zitadel.admin.v1.AdminService/GetOIDCSettings',
      '/zitadel.admin.v1.AdminService/UpdateOIDCSettings',
      '/zitadel.admin.v1.AdminService/GetOIDCSettings',
    ]);
    for (const request of page.requests) {
      expect(request.method).toBe('POST');
      expect(request.contentType).toMatch(/^application\/grpc-web/);
      expect(request.url).not.toContain(server.adminToken);
    }
    expect(page.page.url()).not.toContain(server.adminToken);
    await page.close();
  });

  it('shows each value the server refuses next to its field, in the page\'s words with the server\'s id, and changes nothing', async () => {
    const before = await grpcGet();
    const page = await signedIn();
    await page.loaded();
    await page.setLifetime('id_token_lifetime', '0');
    await page.setLifetime('refresh_token_idle_expiration', '9999999', 'days');
    await page.setLifetime('refresh_token_expiration', '');
    await page.save();

    expect(await page.saveOutcome()).toBe('Not saved: 3 values need fixing. (INST-10sxks)');
    expect(await page.fieldError('id_token_lifetime').innerText()).toBe('ID token lifetime must be more than 0. (INST-10sxks)');
    expect(await page.fieldError('refresh_token_idle_expiration').innerText()).toBe(
      'Refresh token idle expiration must be more than 0 and at most 3,652,500 days (about 10,000 years). (INST-10sxks)',
    );
    expect(await page.fieldError('refresh_token_expiration').innerText()).toBe('Refresh token expiration is required. (INST-10sxks)');
    expect(await page.fieldError('access_token_lifetime').innerText()).toBe('');
    // The id is set apart and smaller than the words, for quoting rather than reading.
    const id = page.fieldError('id_token_lifetime').locator('small.error-id');
    expect(await id.innerText()).toBe('(INST-10sxks)');
    const fontSize = (selector: string) =>
      page.page.evaluate((s) => parseFloat(getComputedStyle(document.querySelector(s)!).fontSize), selector);
    expect(await fontSize('#id_token_lifetime-error small')).toBeLessThan(await fontSize('#id_token_lifetime-error'));
    // No proto field name or server wording anywhere on the page.
    const shown = await page.page.locator('body').innerText();
    expect(shown).not.toMatch(/_token_|_lifetime|_expiration|greater than/);

    expect(await page.amount('id_token_lifetime').getAttribute('aria-invalid')).toBe('true');
    expect(await page.amount('refresh_token_expiration').getAttribute('aria-invalid')).toBe('true');
    expect(await page.amount('access_token_lifetime').getAttribute('aria-invalid')).toBeNull();
    // Focus goes to the first field to fix, whose description includes the error.
    expect(await page.page.evaluate(() => document.activeElement?.id)).toBe('id_token_lifetime');
    expect(await page.amount('id_token_lifetime').getAttribute('aria-describedby')).toContain('id_token_lifetime-error');
    // The errors came from the server: the Update was sent.
    expect(page.requests.map((r) => r.path)).toContain('/zitadel.admin.v1.AdminService/UpdateOIDCSettings');
    expect(await grpcGet()).toEqual(before);
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.page.screenshot({ path: path.join(TEST_OUTPUT, 'settings-page-field-errors.png'), fullPage: true });

    // Fixing them clears them.
    await page.setLifetime('id_token_lifetime', '1', 'hours');
    await page.setLifetime('refresh_token_idle_expiration', '30', 'days');
    await page.setLifetime('refresh_token_expiration', '90', 'days');
    await page.save();
    expect(await page.saveOutcome()).toMatch(/^Saved\./);
    for (const field of ['id_token_lifetime', 'refresh_token_idle_expiration', 'refresh_token_expiration'] as const) {
      expect(await page.fieldError(field).innerText()).toBe('');
      expect(await page.amount(field).getAttribute('aria-invalid')).toBeNull();
    }
    await page.close();
  });

  it('lets a viewer token read, and tells it plainly that it may not save', async () => {
    const before = await grpcGet();
    const page = await signedIn(viewerToken);
    await page.loaded();
    expect(await page.detail('sequence')).toBe(before.details.sequence);
    await page.setLifetime('access_token_lifetime', '3', 'hours');
    await page.save();

    const outcome = await page.saveOutcome();
    expect(outcome).toContain('may read the settings but not change them');
    expect(outcome).toContain('AUTH-5mWD2');
    expect(await page.page.getByRole('alert').innerText()).toBe(outcome);
    expect(await grpcGet()).toEqual(before);
    await page.close();
  });

  it('says on the sign-in prompt where tokens come from: the token file and the token command', async () => {
    const page = await SettingsPage.open(chromium.context, pageUrl);
    const source = page.page.locator('#token-source');
    expect(await source.isVisible()).toBe(true);
    expect(await source.innerText()).toContain('IAM_OWNER token');
    expect(await source.locator('code').allInnerTexts()).toEqual([
      'data/admin.pat',
      'npx oidc-settings token create --role IAM_OWNER_VIEWER',
    ]);
    // A screen reader hears it on the token field, where the focus starts.
    expect(await page.page.evaluate(() => document.activeElement?.id)).toBe('token');
    expect(await page.page.getByLabel('Personal access token').getAttribute('aria-describedby')).toContain('token-source');
    // The long command wraps rather than widen the prompt at 360 px.
    expect(await page.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.page.screenshot({ path: path.join(TEST_OUTPUT, 'settings-page-sign-in.png'), fullPage: true });
    await page.close();
  });

  it('sends an unknown token back to the prompt with the reason', async () => {
    const page = await signedIn('not-a-token-that-exists-0123456789');
    const error = page.page.locator('#token-error');
    await error.filter({ hasText: 'not accepted' }).waitFor();
    expect(await error.innerText()).toContain('AUTH-7fs1e');
    expect(await page.page.getByLabel('Personal access token').getAttribute('aria-invalid')).toBe('true');
    expect(await page.page.evaluate(() => document.activeElement?.id)).toBe('token');
    expect(await page.page.getByRole('heading', { name: 'Token lifetimes' }).isVisible()).toBe(false);
    await page.close();
  });

  it('offers a retry when the server cannot be reached, and the retry saves', async () => {
    const before = await grpcGet();
    const page = await signedIn();
    await page.loaded();
    const update = '**/zitadel.admin.v1.AdminService/UpdateOIDCSettings';
    await page.page.route(update, (route) => route.abort('connectionrefused'));
    await page.setLifetime('refresh_token_idle_expiration', '14', 'days');
    await page.save();
    expect(await page.saveOutcome()).toContain('Could not reach the server');
    expect(await grpcGet()).toEqual(before);

    await page.page.unroute(update);
    const retry = page.page.getByRole('button', { name: 'Try again' });
    // The retry button takes the focus, so Enter retries.
    expect(await page.page.evaluate(() => document.activeElement?.textContent)).toBe('Try again');
    await retry.press('Enter');
    await page.page.locator('#save-message .success').waitFor();
    expect(await page.current('refresh_token_idle_expiration')).toBe('14 days');
    await page.close();
  });

  it('works from the keyboard alone, in a sensible focus order, at 360 px without sideways scrolling', async () => {
    const page = await SettingsPage.open(chromium.context, pageUrl);
    expect(await page.page.evaluate(() => document.activeElement?.id)).toBe('token');
    await page.page.keyboard.type(server.adminToken);
    await page.page.keyboard.press('Enter');
    await page.loaded();

    const order: string[] = [];
    for (let i = 0; i < 10; i++) {
      await page.page.keyboard.press('Tab');
      order.push(await page.page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || ''));
    }
    expect(order).toEqual([
      'access_token_lifetime',
      'access_token_lifetime-unit',
      'id_token_lifetime',
      'id_token_lifetime-unit',
      'refresh_token_idle_expiration',
      'refresh_token_idle_expiration-unit',
      'refresh_token_expiration',
      'refresh_token_expiration-unit',
      'save',
      'forget',
    ]);

    await page.amount('id_token_lifetime').focus();
    await page.page.keyboard.press('ControlOrMeta+a');
    await page.page.keyboard.type('6');
    await page.page.keyboard.press('Enter');
    expect(await page.saveOutcome()).toMatch(/^Saved\./);
    expect((await grpcGet()).idTokenLifetime).toEqual({ seconds: '21600', nanos: 0 });

    const width = await page.page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    await page.close();
  });
});
