/**
 * SIGTERM drains before it stops (issue 13): /readyz answers 503 and gRPC
 * health NOT_SERVING at once, while both ports still take connections and
 * serve calls for SHUTDOWN_DRAIN; only then are connections refused. A load
 * balancer probing readiness thus sees the replica go before its clients
 * do. Built server and gateway as child processes, probed from outside on
 * a fresh connection each time, as a load balancer or kubelet would.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type ChildGateway, type ChildServer, startChildGateway, startChildServer } from '../helpers/child-server';
import { adminClient, call } from '../helpers/grpc-client';
import { startTestServer, tempDir } from '../helpers/server';
import { grpcHealth, startServerChild } from '../hardening/child';

const SERVICES = ['', 'zitadel.admin.v1.AdminService'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/*
 * A connection that reaches a port as it closes may be refused, reset by the
 * kernel (it was still in the listen backlog: ECONNRESET from connect, read
 * or write), or, on the gRPC port, accepted and closed before HTTP/2 began
 * ("Failed to connect"). The server took no request from any of them, so
 * each counts as refused. A request cut after the server took it shows as
 * something else ("socket hang up", which no system call reports, or a gRPC
 * status) and fails the test.
 */
const kernelReset = (error: NodeJS.ErrnoException) => error.code === 'ECONNRESET' && error.syscall !== undefined;

/** GET on a new connection: the status, or ECONNREFUSED when the connection was refused or reset. */
function get(port: number, urlPath: string, token?: string): Promise<number | string> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: urlPath, agent: false, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 5000 },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve(kernelReset(error) ? 'ECONNREFUSED' : (error.code ?? error.message)),
    );
  });
}

/** grpc.health.v1 Check of "" and the AdminService on a new channel: both statuses as one, or REFUSED when no connection was made. */
async function health(port: number): Promise<string> {
  try {
    const statuses = await grpcHealth(port, SERVICES);
    return new Set(statuses).size === 1 ? statuses[0]! : statuses.join('/');
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    // grpc-js: "No connection established. Last error: connect ECONNREFUSED …", "read ECONNRESET" or "Failed to connect".
    const notConnected = code === grpc.status.UNAVAILABLE && /^No connection established/.test(details);
    return notConnected ? 'REFUSED' : `${code}: ${details}`;
  }
}

interface Probe<T> {
  readonly result: T;
  /** When it was sent, after the signal. */
  readonly sentAt: number;
}

/** Probes every ~50 ms until the process has exited and a probe after that was answered `last`. */
async function probeUntilExit<T>(exited: () => boolean, probe: () => Promise<T>, last: T): Promise<Array<Probe<T>>> {
  const seen: Array<Probe<T>> = [];
  const until = performance.now() + 20_000;
  while (performance.now() < until) {
    const gone = exited();
    const sentAt = performance.now();
    const result = await probe();
    seen.push({ result, sentAt });
    if (gone && result === last) break;
    await sleep(50);
  }
  return seen;
}

/** The distinct results in the order they came, e.g. [200, 503, "ECONNREFUSED"]: each once, so none came back. */
const phases = <T>(seen: Array<Probe<T>>): T[] => seen.map((p) => p.result).filter((r, i, all) => i === 0 || all[i - 1] !== r);

const firstSent = <T>(seen: Array<Probe<T>>, result: T) => seen.find((p) => p.result === result)?.sentAt ?? NaN;

describe('SIGTERM with SHUTDOWN_DRAIN', () => {
  it('is not ready at once, keeps serving calls through the drain, then refuses connections and exits 0', async () => {
    const dataDir = tempDir();
    const server = await startServerChild(dataDir, { env: { SHUTDOWN_DRAIN: '1500ms' } });
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    try {
      expect(await get(server.httpPort, '/readyz')).toBe(200);
      expect(await health(server.grpcPort)).toBe('SERVING');

      let exited = false;
      void server.exited.then(() => (exited = true));
      server.child.kill('SIGTERM');
      const readyz = probeUntilExit(() => exited, () => get(server.httpPort, '/readyz'), 'ECONNREFUSED');
      const grpcHealth = probeUntilExit(() => exited, () => health(server.grpcPort), 'REFUSED');

      // The first probes sent once the server says it drains: not ready, on both ports.
      const draining = await server.logLine((e) => e['msg'] === 'draining');
      const drainingSeenAt = performance.now();
      expect(draining['drainSeconds']).toBe(1.5);
      expect(await get(server.httpPort, '/readyz')).toBe(503);
      expect(await health(server.grpcPort)).toBe('NOT_SERVING');

      // Real calls on new connections, well into the drain, are served.
      await sleep(500);
      const client = adminClient(server.grpcPort);
      const overGrpc = await call<{ settings: { accessTokenLifetime: { seconds: string } } }>(client, 'GetOIDCSettings', {}, token);
      client.close();
      const overRest = await get(server.httpPort, '/admin/v1/settings/oidc', token);
      const servedUntil = performance.now();
      expect(overGrpc).toMatchObject({ ok: true, response: { settings: { accessTokenLifetime: { seconds: '43200' } } } });
      expect(overRest).toBe(200);

      expect(await server.exited).toBe(0);
      const httpSeen = await readyz;
      const grpcSeen = await grpcHealth;
      // 503 before refusal, never ready again, never a 503 after a refusal.
      // Only a probe sent before the signal was handled may have found it ready.
      expect(phases(httpSeen)).toEqual(httpSeen[0]!.result === 200 ? [200, 503, 'ECONNREFUSED'] : [503, 'ECONNREFUSED']);
      expect(phases(grpcSeen)).toEqual(grpcSeen[0]!.result === 'SERVING' ? ['SERVING', 'NOT_SERVING', 'REFUSED'] : ['NOT_SERVING', 'REFUSED']);
      expect(httpSeen.filter((p) => p.result === 200 && p.sentAt > drainingSeenAt)).toEqual([]);
      expect(grpcSeen.filter((p) => p.result === 'SERVING' && p.sentAt > drainingSeenAt)).toEqual([]);
      // The calls above were served before any connection was refused, and
      // not ready lasted about the drain (1.5 s; the bound is loose).
      expect(servedUntil).toBeLessThan(firstSent(httpSeen, 'ECONNREFUSED'));
      expect(firstSent(httpSeen, 'ECONNREFUSED') - firstSent(httpSeen, 503)).toBeGreaterThan(1000);

      const messages = server.logs.map((l) => l['msg']);
      expect(messages.indexOf('draining')).toBeLessThan(messages.indexOf('shutting down'));
      expect(messages.indexOf('shutting down')).toBeLessThan(messages.indexOf('stopped'));
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('ends the drain at a second SIGTERM', async () => {
    const server = await startChildServer(tempDir(), { SHUTDOWN_DRAIN: '60s' });
    try {
      server.child.kill('SIGTERM');
      await server.logLine((e) => e['msg'] === 'draining');
      server.child.kill('SIGTERM');
      expect(await exitWithin(server, 10_000)).toBe(0);
      expect(server.logs.map((l) => l['msg'])).toEqual(expect.arrayContaining(['draining', 'shutting down', 'stopped']));
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('is skipped by SIGINT (Ctrl-C in a terminal), which stops at once', async () => {
    const server = await startChildServer(tempDir(), { SHUTDOWN_DRAIN: '60s' });
    try {
      server.child.kill('SIGINT');
      expect(await exitWithin(server, 10_000)).toBe(0);
      const messages = server.logs.map((l) => l['msg']);
      expect(messages).not.toContain('draining');
      expect(messages).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it.each(['0s', '0'])('of %s stops at once', async (drain) => {
    const server = await startServerChild(tempDir(), { env: { SHUTDOWN_DRAIN: drain } });
    try {
      server.child.kill('SIGTERM');
      // Well under the 5 s default drain.
      expect(await exitWithin(server, 3000)).toBe(0);
      expect(await get(server.httpPort, '/readyz')).toBe('ECONNREFUSED');
      const messages = server.logs.map((l) => l['msg']);
      expect(messages).not.toContain('draining');
      expect(messages).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});

it('RunningServer.drain() in process: not ready on both ports, still serving; stop() is what refuses', async () => {
  const server = await startTestServer();
  const httpPort = server.server.http.port;
  try {
    server.server.drain();
    expect(await get(httpPort, '/readyz')).toBe(503);
    expect(await health(server.grpcPort)).toBe('NOT_SERVING');
    const client = adminClient(server.grpcPort);
    expect(await call(client, 'GetOIDCSettings', {}, server.adminToken)).toMatchObject({ ok: true });
    client.close();
    expect(await get(httpPort, '/admin/v1/settings/oidc', server.adminToken)).toBe(200);
  } finally {
    await server.stop();
  }
  expect(await get(httpPort, '/readyz')).toBe('ECONNREFUSED');
  expect(await health(server.grpcPort)).toBe('REFUSED');
});

describe('the standalone gateway with SHUTDOWN_DRAIN', () => {
  let upstream: ChildServer;
  let gateway: ChildGateway;
  let token: string;
  beforeAll(async () => {
    const dataDir = tempDir();
    upstream = await startChildServer(dataDir);
    token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    gateway = await startChildGateway(['--upstream', `127.0.0.1:${upstream.port}`], { SHUTDOWN_DRAIN: '1s' });
  });
  afterAll(async () => {
    gateway.child.kill('SIGKILL');
    upstream.child.kill('SIGTERM');
    await upstream.exited;
  });

  it('answers /readyz 503 while it still forwards calls, then refuses connections and exits 0', async () => {
    // Ready once it has reached its upstream.
    for (let i = 0; i < 50 && (await get(gateway.port, '/readyz')) !== 200; i++) await sleep(100);
    expect(await get(gateway.port, '/readyz')).toBe(200);

    let exited = false;
    void gateway.exited.then(() => (exited = true));
    gateway.child.kill('SIGTERM');
    const readyz = probeUntilExit(() => exited, () => get(gateway.port, '/readyz'), 'ECONNREFUSED');
    for (let i = 0; i < 100 && !gateway.output().includes('"msg":"draining"'); i++) await sleep(20);
    expect(gateway.output()).toContain('"drainSeconds":1,"msg":"draining"');
    expect(await get(gateway.port, '/readyz')).toBe(503);
    const served = await get(gateway.port, '/admin/v1/settings/oidc', token);
    const servedUntil = performance.now();
    expect(served).toBe(200);

    expect(await gateway.exited).toBe(0);
    const seen = await readyz;
    expect(phases(seen)).toEqual(seen[0]!.result === 200 ? [200, 503, 'ECONNREFUSED'] : [503, 'ECONNREFUSED']);
    expect(servedUntil).toBeLessThan(firstSent(seen, 'ECONNREFUSED'));
  });
});

function exitWithin(server: { exited: Promise<number | null> }, ms: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    server.exited.finally(() => clearTimeout(timer)),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms))),
  ]);
}
