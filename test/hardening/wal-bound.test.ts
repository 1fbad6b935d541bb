/**
 * Steady writes keep the WAL bounded (issue 10, defect 5): a continuous
 * stream of commits never leaves the checkpointer a moment in which the WAL
 * is fully copied back, so without a bound it only grows (175 MB after 14,095
 * PUTs). The bound is by design, by pages: README "Operations", "Disk".
 */
import fs from 'node:fs';
import path from 'node:path';
import { adminClient, call, lifetimes } from '../helpers/grpc-client';
import { type TestServer, startTestServer } from '../helpers/server';

/** The stated bound: the 1 MiB checkpoint threshold plus at most one group commit. */
const WAL_BOUND_BYTES = 2 * 1024 * 1024;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

function walSize(): number {
  try {
    return fs.statSync(path.join(server.dataDir, 'oidc-settings.db-wal')).size;
  } catch {
    return 0;
  }
}

/** Sends `count` Updates with distinct values, `concurrency` at a time; the largest WAL seen after any answer. */
async function updates(count: number, concurrency: number, first: number): Promise<{ maxWal: number; failed: number }> {
  const client = adminClient(server.grpcPort);
  let next = first;
  let maxWal = 0;
  let failed = 0;
  const worker = async () => {
    while (next < first + count) {
      const outcome = await call(client, 'UpdateOIDCSettings', lifetimes(next++, 60, 60, 60), server.adminToken);
      if (!outcome.ok) failed++;
      maxWal = Math.max(maxWal, walSize());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  client.close();
  return { maxWal, failed };
}

it('stays under the bound through thousands of sequential Updates', async () => {
  const { maxWal, failed } = await updates(2000, 1, 1_000);
  expect(failed).toBe(0);
  expect(maxWal).toBeGreaterThan(0);
  expect(maxWal).toBeLessThanOrEqual(WAL_BOUND_BYTES);
});

it('stays under the bound through thousands of concurrent Updates', async () => {
  const { maxWal, failed } = await updates(3000, 32, 10_000);
  expect(failed).toBe(0);
  expect(maxWal).toBeLessThanOrEqual(WAL_BOUND_BYTES);
});
