/**
 * Operations: one JSON log line per call, Prometheus metrics after traffic,
 * health over HTTP, and the OpenAPI document, on the real server.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config/config';
import { type RunningServer, startServer } from '../../src/server';
import { callersFor } from '../helpers/protocols';
import { validateOpenApi } from '../helpers/openapi-validate';
import { rawRequest } from '../helpers/raw-http';
import { tempDir } from '../helpers/server';
import fs from 'node:fs';
import path from 'node:path';

let server: RunningServer;
let token: string;
const lines: Array<Record<string, unknown>> = [];
let raw = '';

beforeAll(async () => {
  const dataDir = tempDir();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({ GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', DATA_DIR: dataDir }, []);
  server = await startServer(config, pino({ level: 'info' }, sink));
  token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
});
afterAll(() => server.stop());

const lifetimes = (s: number) => ({
  accessTokenLifetime: `${s}s`,
  idTokenLifetime: `${s}s`,
  refreshTokenIdleExpiration: `${s}s`,
  refreshTokenExpiration: `${s}s`,
});

/** The protocol labels of logs and metrics; the Connect protocol is one, whether JSON or binary. */
const LABELS = ['grpc', 'grpc-web', 'grpc-web-text', 'connect', 'rest'];

describe('after traffic over every protocol', () => {
  beforeAll(async () => {
    const callers = callersFor({ grpcPort: server.grpc.port, httpPort: server.http.port });
    let n = 100;
    // One caller per protocol label the logs and metrics know.
    for (const call of [callers.grpc, callers['grpc-web'], callers['grpc-web-text'], callers['connect-json'], callers.rest]) {
      await call('updateOIDCSettings', lifetimes(n++), token);
      await call('updateOIDCSettings', lifetimes(n++), token);
      await call('getOIDCSettings', {}, token);
      await call('getOIDCSettings', {});
    }
    callers.close();
  });

  it('logs one JSON line per call: method, protocol, code, duration, instance, token id; never a token', () => {
    const calls = lines.filter((l) => l['msg'] === 'call');
    expect(calls).toHaveLength(4 * LABELS.length);
    const update = calls.find((l) => l['protocol'] === 'rest' && l['method'] === '/zitadel.admin.v1.AdminService/UpdateOIDCSettings')!;
    expect(update).toMatchObject({ code: 'OK', instance: server.instanceId, level: 30 });
    expect(update['tokenId']).toMatch(/^\d+$/);
    expect(typeof update['durationMs']).toBe('number');
    for (const protocol of LABELS) {
      expect(calls.filter((l) => l['protocol'] === protocol)).toHaveLength(4);
      const refused = calls.find((l) => l['protocol'] === protocol && l['code'] === 'UNAUTHENTICATED');
      expect(refused).toBeDefined();
      expect(refused!['tokenId']).toBeUndefined();
    }
    expect(raw).not.toContain(token);
    expect(raw.toLowerCase()).not.toContain('bearer');
  });

  it('serves Prometheus metrics that count the calls, the commits and the events', async () => {
    const response = await rawRequest(server.http.port, { method: 'GET', path: '/metrics' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body.toString();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };
    const update = 'method="/zitadel.admin.v1.AdminService/UpdateOIDCSettings"';
    const get = 'method="/zitadel.admin.v1.AdminService/GetOIDCSettings"';
    for (const protocol of LABELS) {
      expect(value(`oidc_settings_calls_total{${update},protocol="${protocol}",code="OK"}`)).toBe(2);
      expect(value(`oidc_settings_calls_total{${get},protocol="${protocol}",code="OK"}`)).toBe(1);
      expect(value(`oidc_settings_calls_total{${get},protocol="${protocol}",code="UNAUTHENTICATED"}`)).toBe(1);
      expect(value(`oidc_settings_call_duration_seconds_count{${update},protocol="${protocol}"}`)).toBe(2);
    }
    expect(value('oidc_settings_events_written_total')).toBe(2 * LABELS.length);
    expect(value('oidc_settings_store_commit_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    // The Updates, and the probe write that checks at start that the database can be written.
    expect(value('oidc_settings_store_commit_writes_sum')).toBe(2 * LABELS.length + 1);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('HTTP health and OpenAPI', () => {
  it('answers /healthz and /readyz while serving', async () => {
    for (const p of ['/healthz', '/readyz']) {
      const r = await rawRequest(server.http.port, { method: 'GET', path: p });
      expect({ p, status: r.status, body: JSON.parse(r.body.toString()) as unknown }).toEqual({ p, status: 200, body: { status: 'SERVING' } });
    }
  });

  it('serves /openapi.json describing PUT /admin/v1/settings/oidc', async () => {
    const r = await rawRequest(server.http.port, { method: 'GET', path: '/openapi.json' });
    expect(r.status).toBe(200);
    const doc = JSON.parse(r.body.toString()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths['/admin/v1/settings/oidc']?.['put']?.operationId).toBe('UpdateOIDCSettings');
    // The document the server answers, not only one the tests build.
    expect(validateOpenApi(doc)).toEqual({ valid: true });
  });
});

describe('the settings page, through the running gateway', () => {
  it('redirects / and /ui to /ui/', async () => {
    for (const p of ['/', '/ui']) {
      const r = await rawRequest(server.http.port, { method: 'GET', path: p });
      expect({ p, status: r.status, location: r.headers.location }).toEqual({ p, status: 308, location: '/ui/' });
    }
  });

  it('serves the page uncached and its hashed assets as immutable, each with its content type', async () => {
    const page = await rawRequest(server.http.port, { method: 'GET', path: '/ui/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const assets = [...page.body.toString().matchAll(/(?:src|href)="(?:\.\/|\/ui\/)?(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const r = await rawRequest(server.http.port, { method: 'GET', path: `/ui/${asset}` });
      expect({ asset, status: r.status }).toEqual({ asset, status: 200 });
      const type = asset.endsWith('.js') ? /^text\/javascript/ : asset.endsWith('.svg') ? /^image\/svg\+xml$/ : /^text\/css/;
      expect(r.headers['content-type']).toMatch(type);
      expect(r.headers['cache-control']).toContain('immutable');
    }
  });

  it('reads nothing outside the page folder', async () => {
    for (const p of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/..%2fpackage.json', '/ui/assets/../../src/main.ts']) {
      const r = await rawRequest(server.http.port, { method: 'GET', path: p });
      expect({ p, status: r.status }).toEqual({ p, status: 404 });
    }
  });
});
