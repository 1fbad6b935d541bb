/**
 * Opening the settings page, signing in and reading the settings leaves
 * nothing red behind: no console error, and no 4xx or 5xx answer to any
 * request the browser makes, the icon included. Answers are recorded at the
 * server, since Chromium asks for /favicon.ico on its own, where no page
 * event sees it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type TestServer, startTestServer } from '../helpers/server';
import { type Chromium, launchChromium } from './chromium';
import { SettingsPage } from './settings-page';

jest.setTimeout(60_000);

interface Answered {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

describe('loading the settings page', () => {
  let server: TestServer;
  let chromium: Chromium;
  let origin: string;
  const answered: Answered[] = [];
  const waiters: { test: (a: Answered) => boolean; resolve: () => void }[] = [];

  /** Resolves once the server has answered a request whose path matches. */
  const answeredFor = (pattern: RegExp): Promise<void> =>
    new Promise((resolve) => {
      const test = (a: Answered) => pattern.test(a.path);
      if (answered.some(test)) resolve();
      else waiters.push({ test, resolve });
    });

  beforeAll(async () => {
    [server, chromium] = await Promise.all([startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' }), launchChromium()]);
    origin = `http://127.0.0.1:${server.server.http.port}`;
    server.server.http.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      response.on('finish', () => {
        const a = { method: request.method ?? '', path: request.url ?? '', status: response.statusCode };
        answered.push(a);
        for (const waiter of waiters.filter((w) => w.test(a))) waiter.resolve();
      });
    });
  });

  afterAll(async () => {
    await Promise.all([chromium?.close(), server?.stop()]);
  });

  it('signs in and shows the settings without a console error or a 4xx/5xx answer, the linked icon and /favicon.ico included', async () => {
    // On the context, so nothing before the first page event is missed.
    const consoleErrors: string[] = [];
    chromium.context.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(message.text());
    });
    chromium.context.on('weberror', (error) => consoleErrors.push(error.error().message));

    const settings = await SettingsPage.open(chromium.context, `${origin}/ui/`);
    const page = settings.page;
    await settings.signIn(server.adminToken);
    await settings.loaded();
    // The page links its icon, so Chromium asks for that rather than /favicon.ico.
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(icon).toMatch(/^assets\/favicon-[A-Z2-7]{8}\.svg$/);
    await answeredFor(/^\/ui\/assets\/favicon-/);

    // A page without the link (the JSON of /openapi.json) makes Chromium probe /favicon.ico.
    await page.goto(`${origin}/openapi.json`);
    await answeredFor(/^\/favicon\.ico$/);
    await page.close();

    expect(consoleErrors).toEqual([]);
    expect(answered.filter((a) => a.status >= 400)).toEqual([]);
    expect(answered.map((a) => a.path)).toEqual(
      expect.arrayContaining(['/ui/', '/zitadel.admin.v1.AdminService/GetOIDCSettings', `/ui/${icon}`, '/openapi.json', '/favicon.ico']),
    );
  });

  it('answers GET /favicon.ico with the page\'s icon, an SVG, revalidated; the linked copy is cached for good', async () => {
    const ico = await fetch(`${origin}/favicon.ico`);
    expect(ico.status).toBe(200);
    expect(ico.headers.get('content-type')).toBe('image/svg+xml');
    expect(ico.headers.get('cache-control')).toBe('no-cache');
    expect(ico.headers.get('etag')).toBeTruthy();
    const svg = await ico.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    const again = await fetch(`${origin}/favicon.ico`, { headers: { 'if-none-match': ico.headers.get('etag')! } });
    expect(again.status).toBe(304);

    const html = await (await fetch(`${origin}/ui/`)).text();
    const href = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/.exec(html)?.[1];
    const linked = await fetch(`${origin}/ui/${href}`);
    expect(linked.status).toBe(200);
    expect(linked.headers.get('content-type')).toBe('image/svg+xml');
    expect(linked.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await linked.text()).toBe(svg);
  });
});
