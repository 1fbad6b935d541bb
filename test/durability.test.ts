/**
 * Nothing acknowledged is lost: the server runs as a child process and is
 * killed with SIGKILL while writes are in flight, or stopped with SIGTERM.
 */
import fs from 'node:fs';
import path from 'node:path';
import { adminClient, call, type ObjectDetails } from './helpers/grpc-client';
import { startChildServer } from './helpers/child-server';
import { tempDir } from './helpers/server';
import { expectAllDurable, writeLoad } from './helpers/write-load';

describe('durability', () => {
  it('keeps every acknowledged Update across SIGKILL, and Get answers the last one', async () => {
    const dataDir = tempDir();
    const first = await startChildServer(dataDir);
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    const load = writeLoad(first.port, token, 16);
    while (load.acked.length < 200) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    await first.exited;
    await load.stop();
    expect(load.acked.length).toBeGreaterThanOrEqual(200);

    const second = await startChildServer(dataDir);
    try {
      const client = adminClient(second.port);
      const got = await call<{ settings: { details: ObjectDetails; accessTokenLifetime: { seconds: string } } }>(
        client,
        'GetOIDCSettings',
        {},
        token,
      );
      client.close();
      if (!got.ok) throw new Error(got.message);
      const last = load.acked.reduce((a, b) => (a.sequence > b.sequence ? a : b));
      // Writes in flight at the kill may have committed unacknowledged, never the reverse.
      expect(BigInt(got.response.settings.details.sequence)).toBeGreaterThanOrEqual(last.sequence);
      if (BigInt(got.response.settings.details.sequence) === last.sequence) {
        expect(got.response.settings.accessTokenLifetime.seconds).toBe(String(last.access));
      }
      expectAllDurable(dataDir, load.acked);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s finishes the calls in flight, closes the database and exits 0', async (signal) => {
    const dataDir = tempDir();
    const server = await startChildServer(dataDir);
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    const load = writeLoad(server.port, token, 16);
    while (load.acked.length < 50) await new Promise((r) => setTimeout(r, 5));
    server.child.kill(signal);
    expect(await server.exited).toBe(0);
    await load.stop();
    expect(server.logs.map((l) => l['msg'])).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    // A clean close checkpoints the WAL: nothing is left to recover.
    const wal = path.join(dataDir, 'oidc-settings.db-wal');
    expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0);
    expectAllDurable(dataDir, load.acked);
  });
});
