/** The standalone gateway's own probes and metrics. */
import net from 'node:net';
import { type ChildGateway, type ChildServer, startChildGateway, startChildServer } from '../helpers/child-server';
import { tempDir } from '../helpers/server';

let gateway: ChildGateway;
beforeAll(async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  gateway = await startChildGateway(['--upstream', `127.0.0.1:${port}`]);
});
afterAll(async () => {
  gateway.child.kill('SIGTERM');
  expect(await gateway.exited).toBe(0);
});

const get = (path: string) => fetch(`http://127.0.0.1:${gateway.port}${path}`);

it('is alive but not ready while its upstream is down', async () => {
  expect((await get('/healthz')).status).toBe(200);
  const ready = await get('/readyz');
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'NOT_SERVING' });
});

it('counts its calls in /metrics', async () => {
  expect((await get('/admin/v1/settings/oidc')).status).toBe(503);
  const text = await (await get('/metrics')).text();
  expect(text).toContain(
    'oidc_settings_calls_total{method="/zitadel.admin.v1.AdminService/GetOIDCSettings",protocol="rest",code="UNAVAILABLE"} 1',
  );
});

describe('in front of an upstream that closes idle connections', () => {
  let server: ChildServer;
  let front: ChildGateway;
  beforeAll(async () => {
    server = await startChildServer(tempDir(), { GRPC_IDLE_TIMEOUT: '1s' });
    front = await startChildGateway(['--upstream', `127.0.0.1:${server.port}`]);
  });
  afterAll(async () => {
    front.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    await Promise.all([front.exited, server.exited]);
  });

  it('stays ready while the upstream closes its idle connection (GOAWAY after GRPC_IDLE_TIMEOUT)', async () => {
    const readyz = () => fetch(`http://127.0.0.1:${front.port}/readyz`).then((r) => r.status);
    // Ready once connected; then three idle periods of the upstream, probed every 100 ms.
    for (let i = 0; i < 50 && (await readyz()) !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const seen: number[] = [];
    for (let i = 0; i < 35; i++) {
      seen.push(await readyz());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.filter((s) => s !== 200)).toEqual([]);
    expect(server.logs.filter((l) => l['msg'] === 'call')).toEqual([]);
  });
});
