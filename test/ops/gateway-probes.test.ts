/** The standalone gateway's own probes and metrics. */
import net from 'node:net';
import { type ChildGateway, startChildGateway } from '../helpers/child-server';

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
