/**
 * Replicas of the service (real processes, `node dist/src/main.js`) on one
 * PostgreSQL database, each with its own data folder, as behind a load
 * balancer.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Child, startServerChild } from '../hardening/child';
import { CLI } from '../helpers/cli';
import { tempDir } from '../helpers/server';

export interface Replica extends Child {
  readonly dataDir: string;
}

/** Starts `count` replicas at the same moment on `url`. */
export function startReplicas(url: string, count: number, env: Record<string, string> = {}): Promise<Replica[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const dataDir = tempDir('replica-');
      const child = await startServerChild(dataDir, { env: { DATABASE_URL: url, SHUTDOWN_GRACE: '1s', ...env } });
      return { ...child, dataDir };
    }),
  );
}

/** The initial IAM_OWNER token: in the data folder of the one replica that created the instance. */
export function adminTokenOf(replicas: readonly Replica[]): string {
  const files = replicas.map((r) => path.join(r.dataDir, 'admin.pat')).filter((f) => fs.existsSync(f));
  if (files.length !== 1) throw new Error(`expected one admin.pat among the replicas, found ${files.length}`);
  return fs.readFileSync(files[0]!, 'utf8').trim();
}

export async function stopAll(replicas: readonly Replica[]): Promise<void> {
  await Promise.all(replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null).map((r) => r.stop()));
}

const execFileAsync = promisify(execFile);

/** The token CLI against the database: its stdout and stderr. */
export async function tokenCli(url: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [CLI, 'token', '--database-url', url, ...args], { encoding: 'utf8', timeout: 15_000 });
}
