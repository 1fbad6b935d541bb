/**
 * SIGTERM ends the process within SHUTDOWN_GRACE whatever the clients do
 * (issue 10, defect 3): the built server as a child process (npm run build).
 */
import http2 from 'node:http2';
import https from 'node:https';
import { type ChildServer, startChildServer } from '../helpers/child-server';
import { tempDir } from '../helpers/server';
import { FrameType, frame, grpcFrame, headersFrames, rawConnection, sendOversizedHeader } from '../helpers/raw-h2';
import { selfSignedCertificate } from '../helpers/self-signed';

const exitWithin = (exited: Promise<number | null>, ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    exited.finally(() => clearTimeout(timer)),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms))),
  ]);
};

/** The gateway's port, from its start line (logged with the gRPC one). */
async function httpPortOf(server: ChildServer): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const line = server.logs.find((l) => l['msg'] === 'serving gRPC-Web, Connect and REST');
    if (line) return Number(String(line['address']).split(':').at(-1));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the gateway did not log its address');
}

describe('graceful shutdown', () => {
  it('exits 0 within the grace period with a GOAWAY-ed connection kept open and a call that never ends', async () => {
    const server = await startChildServer(tempDir(), { SHUTDOWN_GRACE: '1s' });
    const client = http2.connect(`http://127.0.0.1:${server.port}`);
    client.on('error', () => undefined);
    try {
      // One connection: a normal call, then a request whose header nghttp2
      // refuses (GOAWAY COMPRESSION_ERROR); the client keeps the socket open.
      const stuck = await sendOversizedHeader(server.port, '/grpc.health.v1.Health/Check', 500_000, (c) => {
        const check = [
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', '/grpc.health.v1.Health/Check'],
          [':authority', '127.0.0.1'],
          ['content-type', 'application/grpc'],
          ['te', 'trailers'],
        ] as const;
        for (const id of [1, 3, 5]) {
          c.socket.write(headersFrames(id, check, false));
          c.socket.write(frame(FrameType.DATA, 0x1, id, grpcFrame(new Uint8Array())));
        }
      });
      await stuck.frameOf(FrameType.GOAWAY);
      // Another connection: a call whose request never ends.
      const pending = client.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc' });
      pending.on('error', () => undefined);
      await new Promise((resolve) => pending.write(Buffer.from([0, 0, 0]), resolve));

      server.child.kill('SIGTERM');
      expect(await exitWithin(server.exited, 10_000)).toBe(0);
      const messages = server.logs.map((l) => l['msg']);
      expect(messages).toContain('shutting down');
      expect(messages).toContain('stopped');
    } finally {
      client.destroy();
      server.child.kill('SIGKILL');
    }
  });

  it('exits 0 within the grace period over TLS with connections that never handshake and an HTTP/1.1 keep-alive', async () => {
    const { certFile, keyFile } = selfSignedCertificate('tls-');
    const server = await startChildServer(tempDir(), { SHUTDOWN_GRACE: '1s', TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
    try {
      const httpPort = await httpPortOf(server);
      // TCP connections that never begin TLS, on both ports.
      const silent = await Promise.all([rawConnection(server.port), rawConnection(httpPort)]);
      // An HTTP/1.1 connection kept alive after one request.
      await new Promise<void>((resolve, reject) =>
        https
          .get({ host: '127.0.0.1', port: httpPort, path: '/healthz', agent }, (response) => {
            response.resume();
            response.on('end', resolve);
          })
          .on('error', reject),
      );

      server.child.kill('SIGTERM');
      expect(await exitWithin(server.exited, 10_000)).toBe(0);
      expect(server.logs.map((l) => l['msg'])).toContain('stopped');
      await Promise.all(silent.map((c) => c.closed));
    } finally {
      agent.destroy();
      server.child.kill('SIGKILL');
    }
  });
});
