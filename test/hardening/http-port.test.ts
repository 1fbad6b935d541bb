/**
 * The HTTP port under clients that hold connections: more than allowed,
 * idle HTTP/2 sessions and HTTP/1.1 connections over TLS, TLS handshakes
 * never finished, headers sent a byte at a time (issue 10, defect 1 on the
 * gateway's port).
 */
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { selfSignedCertificate } from '../helpers/self-signed';
import { type TestServer, startTestServer } from '../helpers/server';
import { within } from '../helpers/within';

const { certFile, keyFile, ca } = selfSignedCertificate('oidc-http-port-');

function openSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}
const closedOf = (emitter: { once(event: 'close', listener: () => void): unknown }) =>
  new Promise<void>((resolve) => emitter.once('close', () => resolve()));

describe('the HTTP port (plain HTTP/1.1)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ HTTP_MAX_CONNECTIONS: '4' });
  });
  afterAll(() => server.stop());

  it('closes connections past HTTP_MAX_CONNECTIONS as they arrive, and serves again once one goes', async () => {
    const held = await Promise.all([1, 2, 3, 4].map(() => openSocket(server.server.http.port)));
    const extra = await openSocket(server.server.http.port);
    await within(closedOf(extra), 5000, 'the fifth connection is closed');
    held[0]!.destroy();
    await closedOf(held[0]!);
    const again = await openSocket(server.server.http.port);
    const answer = new Promise<string>((resolve) => again.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    again.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1.1 200/);
    for (const socket of [...held, again]) socket.destroy();
  });

  it('cuts a connection whose headers never end within the headers timeout (10 s), not 30 s later', async () => {
    const socket = await openSocket(server.server.http.port);
    socket.on('data', () => undefined);
    const started = Date.now();
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X-Slow: y\r\n'), 1000);
    await within(closedOf(socket), 15_000, 'the slow connection is cut');
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 20_000);
});

describe('the HTTP port over TLS (HTTP/2 and HTTP/1.1)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, HTTP_IDLE_TIMEOUT: '1s' });
  });
  afterAll(() => server.stop());

  it('closes an idle HTTP/2 session (GOAWAY first)', async () => {
    const session = http2.connect(`https://localhost:${server.server.http.port}`, { ca });
    session.on('error', () => undefined);
    let goaway = false;
    session.on('goaway', () => (goaway = true));
    const stream = session.request({ ':path': '/healthz' });
    stream.resume();
    await new Promise((resolve) => stream.on('close', resolve));
    await within(closedOf(session), 10_000, 'the idle session is closed');
    expect(goaway).toBe(true);
  });

  it('closes an idle HTTP/1.1 keep-alive connection', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.server.http.port, servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const answer = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1.1 200/);
    await within(closedOf(socket), 10_000, 'the idle keep-alive connection is closed');
  });

  it('cuts a connection that never finishes its TLS handshake', async () => {
    const socket = await openSocket(server.server.http.port);
    socket.on('error', () => undefined);
    await within(closedOf(socket), 10_000, 'the silent socket is cut');
  });
});
