/**
 * gateway/static.ts: content types, caching headers and validators, and
 * that nothing outside the folder can be read, for a folder (staticRoute)
 * and for one file at a fixed path (fileRoute, e.g. /favicon.ico). Requests go over a real
 * socket with raw, un-normalised paths, as an attacker would send them.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ExtraRoute } from '../../gateway/server';
import { fileRoute, staticRoute } from '../../gateway/static';

const SECRET = 'secret-outside-the-folder';
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"/>';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

describe('staticRoute', () => {
  let base: string;
  let server: http.Server;
  let port: number;

  /** Sends the path byte for byte: fetch() and URL would resolve "..". */
  const get = (rawPath: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET') =>
    new Promise<Answer>((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      });
      request.on('error', reject);
      request.end();
    });

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'static-route-'));
    const site = path.join(base, 'site');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(site, 'assets'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>page</title>');
    fs.writeFileSync(path.join(site, 'assets', 'app-ABCDEF23.js'), 'console.log(1);');
    fs.writeFileSync(path.join(site, 'assets', 'app-ABCDEF23.js.map'), '{}');
    fs.writeFileSync(path.join(site, 'assets', 'plain.css'), 'body{}');
    fs.writeFileSync(path.join(site, 'assets', 'data.bin'), 'bytes');
    fs.writeFileSync(path.join(site, 'icon.svg'), ICON);
    fs.writeFileSync(path.join(site, '.env'), SECRET);
    fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET);
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(site, 'link.txt'));
    fs.symlinkSync(outside, path.join(site, 'linked-dir'));
    // A symlink that stays inside the folder is fine.
    fs.symlinkSync(path.join(site, 'index.html'), path.join(site, 'alias.html'));

    const routes: ExtraRoute[] = [
      staticRoute({ folder: site, mount: '/ui/' }),
      fileRoute('/favicon.ico', { folder: site, name: 'icon.svg' }),
      fileRoute('/missing.ico', { folder: site, name: 'not-built.svg' }),
      fileRoute('/linked.ico', { folder: site, name: 'link.txt' }),
    ];
    // As the gateway picks extra routes: a prefix route by prefix, the others by the whole path.
    server = http.createServer((request, response) => {
      const urlPath = (request.url ?? '/').split('?')[0]!;
      const route = routes.find((r) => (r.prefix === true ? urlPath.startsWith(r.path) : urlPath === r.path)) ?? routes[0]!;
      void route.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(base, { recursive: true, force: true });
  });

  it.each([
    ['/ui/', 'text/html; charset=utf-8', 'no-cache'],
    ['/ui/index.html', 'text/html; charset=utf-8', 'no-cache'],
    ['/ui/index.html?v=1', 'text/html; charset=utf-8', 'no-cache'],
    ['/ui/alias.html', 'text/html; charset=utf-8', 'no-cache'],
    ['/ui/assets/app-ABCDEF23.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/ui/assets/app-ABCDEF23.js.map', 'application/json; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/ui/assets/plain.css', 'text/css; charset=utf-8', 'no-cache'],
    ['/ui/assets/data.bin', 'application/octet-stream', 'no-cache'],
  ])('serves %s as %s with Cache-Control %s', async (rawPath, contentType, cacheControl) => {
    const answer = await get(rawPath);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(contentType);
    expect(answer.headers['cache-control']).toBe(cacheControl);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['etag']).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(Date.parse(answer.headers['last-modified'] ?? '')).not.toBeNaN();
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  });

  it('answers 304 to a matching If-None-Match or a fresh If-Modified-Since, and 200 otherwise', async () => {
    const first = await get('/ui/index.html');
    const etag = first.headers['etag']!;
    const lastModified = first.headers['last-modified']!;

    const byTag = await get('/ui/index.html', { 'if-none-match': `"other", ${etag}` });
    expect(byTag.status).toBe(304);
    expect(byTag.body).toBe('');
    expect(byTag.headers['etag']).toBe(etag);
    expect((await get('/ui/index.html', { 'if-none-match': etag.replace(/^W\//, '') })).status).toBe(304);
    expect((await get('/ui/index.html', { 'if-modified-since': lastModified })).status).toBe(304);

    expect((await get('/ui/index.html', { 'if-none-match': '"stale"' })).status).toBe(200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3).
    expect((await get('/ui/index.html', { 'if-none-match': '"stale"', 'if-modified-since': lastModified })).status).toBe(200);
    expect((await get('/ui/index.html', { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const answer = await get('/ui/assets/plain.css', {}, 'HEAD');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(answer.headers['content-length']).toBe(String('body{}'.length));
    expect(answer.body).toBe('');
  });

  it.each([
    ['/ui/../outside/secret.txt', 404],
    ['/ui/assets/../../outside/secret.txt', 404],
    ['/ui/%2e%2e/outside/secret.txt', 404],
    ['/ui/%2E%2E/outside/secret.txt', 404],
    ['/ui/%2e%2e%2foutside%2fsecret.txt', 404],
    ['/ui/assets/..%2f..%2foutside%2fsecret.txt', 404],
    ['/ui/..%5coutside%5csecret.txt', 404],
    ['/ui//etc/passwd', 404],
    ['/ui/%2fetc%2fpasswd', 404],
    [`/ui/${encodeURIComponent(path.join(os.tmpdir(), 'x'))}`, 404],
    ['/ui/link.txt', 404],
    ['/ui/linked-dir/secret.txt', 404],
    ['/ui/.env', 404],
    ['/ui/%2eenv', 404],
    ['/ui/index.html%00.js', 400],
    ['/ui/%00', 400],
    ['/ui/%E0%A4%A', 400],
    ['/ui/assets', 404],
    ['/ui/assets/', 404],
    ['/ui/missing.js', 404],
  ])('refuses %s with %d and reads nothing', async (rawPath, status) => {
    const answer = await get(rawPath);
    expect(answer.status).toBe(status);
    expect(answer.body).not.toContain(SECRET);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('refuses a folder that does not exist with 404, not a crash', async () => {
    const missing = staticRoute({ folder: path.join(base, 'not-built'), mount: '/ui/' });
    const lone = http.createServer((request, response) => void missing.handle(request, response));
    await new Promise<void>((resolve) => lone.listen(0, '127.0.0.1', resolve));
    const status = await new Promise<number>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: (lone.address() as AddressInfo).port, path: '/ui/' }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
        .on('error', reject),
    );
    await new Promise<void>((resolve) => lone.close(() => resolve()));
    expect(status).toBe(404);
  });

  it('wants a mount that starts and ends with "/", and is not the root', () => {
    expect(() => staticRoute({ folder: base, mount: '/ui' })).toThrow(/starts and ends with/);
    expect(() => staticRoute({ folder: base, mount: 'ui/' })).toThrow(/starts and ends with/);
    expect(() => staticRoute({ folder: base, mount: '/' })).toThrow(/every GET/);
  });

  describe('fileRoute', () => {
    it('answers its path with the file, typed by the file\'s name (an SVG at /favicon.ico), revalidated', async () => {
      const answer = await get('/favicon.ico');
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(ICON);
      expect(answer.headers['content-type']).toBe('image/svg+xml');
      expect(answer.headers['cache-control']).toBe('no-cache');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(Number(answer.headers['content-length'])).toBe(ICON.length);

      const again = await get('/favicon.ico', { 'if-none-match': answer.headers['etag']! });
      expect(again.status).toBe(304);
      expect(again.body).toBe('');
      const head = await get('/favicon.ico', {}, 'HEAD');
      expect([head.status, head.headers['content-type'], head.body]).toEqual([200, 'image/svg+xml', '']);
    });

    it.each(['/missing.ico', '/linked.ico'])('answers %s, whose file is missing or outside the folder, 404', async (rawPath) => {
      const answer = await get(rawPath);
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain(SECRET);
      expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    });
  });
});
