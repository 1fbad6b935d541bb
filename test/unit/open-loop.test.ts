/**
 * The bench's open-loop generator (bench/loadgen) against real servers on
 * real ports: latency counts from each call's due time, so a stall counts
 * for every call due during it; and what counts as a failure over HTTP/1.1
 * and over its bare HTTP/2 gRPC client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { grpcTransport } from '../../bench/loadgen/grpc-client';
import { http1Transport } from '../../bench/loadgen/http1-client';
import { quantileOf, runSchedule } from '../../bench/loadgen/schedule';

const listen = async (server: http.Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

describe('open-loop schedule', () => {
  it('counts a server stall in full for every request due during it, not once per connection', async () => {
    let answered = 0;
    const server = http.createServer((_req, res) => {
      // The 100th answer blocks the server's event loop for 200 ms.
      if (++answered === 100) {
        const until = performance.now() + 200;
        while (performance.now() < until);
      }
      res.end('ok');
    });
    const port = await listen(server);
    try {
      const transport = await http1Transport(port, 4, { method: 'GET', path: '/', headers: {}, body: () => undefined, check: 'http' });
      const result = await runSchedule(transport, 1000, 800, 10_000);
      transport.close();
      expect(result.errors).toBe(0);
      expect(result.done).toBe(800);
      // ~200 requests fall due during the stall; a closed-loop count from the send would see it in about 4 (one per connection).
      const slow = result.latencies.filter((ms) => ms >= 100).length;
      expect(slow).toBeGreaterThanOrEqual(80);
      expect(quantileOf(result.latencies, 1)).toBeGreaterThanOrEqual(180);
      // The generator itself kept to the schedule.
      expect(quantileOf(result.lags, 0.5)).toBeLessThan(5);
    } finally {
      server.close();
    }
  });

  it('holds the rate it is given', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    const port = await listen(server);
    try {
      const transport = await http1Transport(port, 4, { method: 'GET', path: '/', headers: {}, body: () => undefined, check: 'http' });
      const result = await runSchedule(transport, 500, 500, 10_000);
      transport.close();
      expect(result.done).toBe(500);
      expect(result.seconds).toBeGreaterThan(0.95);
      expect(result.seconds).toBeLessThan(1.3);
    } finally {
      server.close();
    }
  });
});

describe('open-loop HTTP/1.1 client', () => {
  it('reads chunked and sized answers, and counts non-200 answers and gRPC-Web answers without grpc-status 0 as failures', async () => {
    let n = 0;
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(body);
        const i = n++;
        if (i % 4 === 0) {
          res.write('\x80\x00\x00\x00\x0fgrpc-status: 0\r\n');
          res.end();
        } else if (i % 4 === 1) res.end('\x80\x00\x00\x00\x0fgrpc-status: 0\r\n');
        else if (i % 4 === 2) res.end('\x80\x00\x00\x00\x0fgrpc-status: 7\r\n');
        else {
          res.statusCode = 503;
          res.end('busy');
        }
      });
    });
    const port = await listen(server);
    try {
      const transport = await http1Transport(port, 2, {
        method: 'POST',
        path: '/x',
        headers: { 'content-type': 'application/grpc-web+proto' },
        body: (i) => Buffer.from(`body-${i}`),
        check: 'grpc-web',
      });
      const result = await runSchedule(transport, 400, 40, 10_000);
      transport.close();
      expect(result.done).toBe(40);
      expect(result.errors).toBe(20);
      expect(result.errorSamples.some((e) => e.startsWith('HTTP 503'))).toBe(true);
      expect(result.errorSamples.some((e) => e.startsWith('no grpc-status 0'))).toBe(true);
      expect(new Set(bodies)).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `body-${i}`)));
    } finally {
      server.close();
    }
  });
});

describe('open-loop gRPC client (bare HTTP/2 frames)', () => {
  const bytes = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
  const method = (path: string) => ({ path, requestStream: false, responseStream: false, ...bytes });
  let server: grpc.Server;
  let port: number;
  const received: string[] = [];
  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(
      { ok: method('/t.S/Ok'), fail: method('/t.S/Fail') },
      {
        ok: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          received.push(call.request.toString());
          if (call.metadata.get('authorization')[0] !== 'Bearer t') return callback({ code: grpc.status.UNAUTHENTICATED });
          callback(null, Buffer.from('answer'));
        },
        fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback({ code: grpc.status.INVALID_ARGUMENT, details: 'no' }),
      },
    );
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  });
  afterAll(() => server.forceShutdown());

  const frame = (text: string) => {
    const message = Buffer.from(text);
    const framed = Buffer.alloc(5 + message.length);
    framed.writeUInt32BE(message.length, 1);
    message.copy(framed, 5);
    return framed;
  };

  it('carries headers and each body, and counts answers with a message as successes (past the first connection window)', async () => {
    received.length = 0;
    const transport = await grpcTransport(port, 2, { path: '/t.S/Ok', headers: { authorization: 'Bearer t' }, body: (i) => frame(`m-${i}-${'x'.repeat(200)}`) });
    // 2,000 requests of ~210 bytes: more than the 65,535-byte connection window the server starts with.
    const result = await runSchedule(transport, 4000, 2000, 20_000);
    transport.close();
    expect(result.errors).toBe(0);
    expect(result.done).toBe(2000);
    expect(new Set(received).size).toBe(2000);
    expect(received).toContain(`m-1999-${'x'.repeat(200)}`);
  });

  it('counts a gRPC error (answered as trailers only) as a failure', async () => {
    const failing = await grpcTransport(port, 1, { path: '/t.S/Fail', headers: {}, body: () => frame('x') });
    const failed = await runSchedule(failing, 500, 50, 10_000);
    failing.close();
    expect(failed.errors).toBe(50);
    const unauthenticated = await grpcTransport(port, 1, { path: '/t.S/Ok', headers: { authorization: 'Bearer wrong' }, body: () => frame('x') });
    const refused = await runSchedule(unauthenticated, 500, 50, 10_000);
    unauthenticated.close();
    expect(refused.errors).toBe(50);
  });
});
