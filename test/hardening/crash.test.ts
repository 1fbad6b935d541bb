/**
 * Crash safety over many crashes: the server (a child process on a real
 * SQLite file) is killed with SIGKILL while concurrent writers are in
 * flight, restarted on the same data folder, killed again, and so on. After
 * the last cycle every acknowledged Update must be in the event log at its
 * acknowledged sequence with the value it wrote, and the sequences must run
 * 1..n with no gap and no duplicate.
 *
 * CRASH_CYCLES (default 5) and CRASH_SEED (where in the load each kill
 * lands) make a long local run: CRASH_CYCLES=40 npx jest test/hardening.
 */
import fs from 'node:fs';
import path from 'node:path';
import { adminClient, call, type ObjectDetails } from '../helpers/grpc-client';
import { type ChildServer, startChildServer } from '../helpers/child-server';
import { tempDir } from '../helpers/server';
import { type Acked, expectAllDurable, writeLoad } from '../helpers/write-load';
import { Prng } from '../fuzz/prng';

const CYCLES = Number(process.env['CRASH_CYCLES'] ?? 5);
const SEED = Number(process.env['CRASH_SEED'] ?? 1);
/** Distinct values per cycle, so an event's value tells which write it was. */
const VALUES_PER_CYCLE = 1_000_000;

async function getSequence(port: number, token: string): Promise<bigint> {
  const client = adminClient(port);
  try {
    const got = await call<{ settings: { details: ObjectDetails } }>(client, 'GetOIDCSettings', {}, token);
    if (!got.ok) throw new Error(`Get after restart: ${got.code} ${got.message}`);
    return BigInt(got.response.settings.details.sequence);
  } finally {
    client.close();
  }
}

describe('crash safety', () => {
  it(`keeps every acknowledged Update over ${CYCLES} SIGKILL cycles, with gapless sequences`, async () => {
    const rng = new Prng(SEED);
    const dataDir = tempDir('oidc-settings-crash-');
    const acked: Acked[] = [];
    let token = '';
    let server: ChildServer | undefined;
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        server = await startChildServer(dataDir);
        token ||= fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
        // What the last crash left must already be there after recovery.
        const highest = acked.reduce((max, a) => (a.sequence > max ? a.sequence : max), 0n);
        expect(await getSequence(server.port, token)).toBeGreaterThanOrEqual(highest);
        const load = writeLoad(server.port, token, 16, 1 + cycle * VALUES_PER_CYCLE);
        // The kill lands at a different point of the load each cycle.
        await load.acknowledged(rng.range(20, 250));
        server.child.kill('SIGKILL');
        await server.exited;
        await load.stop();
        acked.push(...load.acked);
      }
      // A last start recovers the WAL the last kill left; a clean stop checkpoints it.
      server = await startChildServer(dataDir);
      const highest = acked.reduce((max, a) => (a.sequence > max ? a.sequence : max), 0n);
      expect(await getSequence(server.port, token)).toBeGreaterThanOrEqual(highest);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(acked.length).toBeGreaterThanOrEqual(CYCLES * 20);
      expectAllDurable(dataDir, acked);
    } catch (error) {
      throw new Error(`CRASH_SEED=${SEED} CRASH_CYCLES=${CYCLES}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (server && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
    }
  }, 60_000 + CYCLES * 10_000);
});
