/**
 * SIGTERM ends the process within SHUTDOWN_GRACE whatever the clients do
 * (issue 10, defect 3): the built server as a child process (npm run build).
 */
import http2 from 'node:http2';
import { startChildServer } from '../helpers/child-server';
import { tempDir } from '../helpers/server';
import { FrameType, frame, grpcFrame, headersFrames, sendOversizedHeader } from '../helpers/raw-h2';

const exitWithin = (exited: Promise<number | null>, ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    exited.finally(() => clearTimeout(timer)),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms))),
  ]);
};

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
});
