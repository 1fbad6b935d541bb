/**
 * The data folder holds token hashes and the audit log: only the server's
 * user may read it, whatever the umask it was started with (issue 10,
 * defect 10). The built server runs as a child process under a shell umask.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { adminClient, call, lifetimes } from '../helpers/grpc-client';
import { tempDir } from '../helpers/server';
import { fileMode, runServerChild, runTokenCli, startServerChild } from './child';

const DB = 'oidc-settings.db';

/** Modes of the folder and of every file SQLite and the server keep in it. */
function modes(dataDir: string): Record<string, string> {
  const octal = (file: string) => fileMode(file).toString(8).padStart(4, '0');
  const result: Record<string, string> = { folder: octal(dataDir) };
  for (const name of [DB, `${DB}-wal`, `${DB}-shm`, 'admin.pat']) {
    const file = path.join(dataDir, name);
    if (fs.existsSync(file)) result[name] = octal(file);
  }
  return result;
}

async function startWriteAndReadModes(dataDir: string, umask: string) {
  const server = await startServerChild(dataDir, { umask });
  try {
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    const client = adminClient(server.grpcPort);
    const outcome = await call(client, 'UpdateOIDCSettings', lifetimes(61, 62, 63, 64), token);
    client.close();
    expect(outcome.ok).toBe(true);
    // While it runs: the WAL and the shared memory file exist.
    return { modes: modes(dataDir), server };
  } finally {
    await server.stop();
  }
}

describe.each(['000', '022'])('under umask %s', (umask) => {
  it('creates the data folder 0700 and the database, its -wal and -shm 0600', async () => {
    const dataDir = path.join(tempDir(), 'data', 'nested');
    const { modes: seen } = await startWriteAndReadModes(dataDir, umask);
    expect(seen).toEqual({
      folder: '0700',
      [DB]: '0600',
      [`${DB}-wal`]: '0600',
      [`${DB}-shm`]: '0600',
      'admin.pat': '0600',
    });
  });

  it('leaves nothing broader when the token CLI creates the database', () => {
    const dataDir = path.join(tempDir(), 'cli-data');
    runTokenCli(dataDir, ['create', '--role', 'IAM_OWNER_VIEWER'], umask);
    expect(modes(dataDir)).toEqual({ folder: '0700', [DB]: '0600' });
  });
});

it('tightens an existing folder and files that others can read or write, and says so', async () => {
  const dataDir = tempDir();
  // A first run makes the files; then someone loosens them.
  await (await startServerChild(dataDir)).stop();
  fs.chmodSync(dataDir, 0o777);
  fs.chmodSync(path.join(dataDir, DB), 0o666);
  const server = await startServerChild(dataDir, { umask: '000' });
  const logged = server.logs.filter((l) => l['msg'] === 'tightened file mode');
  const seen = modes(dataDir);
  await server.stop();
  expect(seen).toMatchObject({ folder: '0700', [DB]: '0600', [`${DB}-wal`]: '0600', [`${DB}-shm`]: '0600' });
  expect(logged).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ file: dataDir, from: '0777', to: '0700' }),
      expect.objectContaining({ file: path.join(dataDir, DB), from: '0666', to: '0600' }),
    ]),
  );
});

it('the token CLI tightens loosened files too', () => {
  const dataDir = path.join(tempDir(), 'cli-data');
  runTokenCli(dataDir, ['list'], '022');
  fs.chmodSync(dataDir, 0o755);
  fs.chmodSync(path.join(dataDir, DB), 0o644);
  runTokenCli(dataDir, ['list'], '000');
  expect(modes(dataDir)).toEqual({ folder: '0700', [DB]: '0600' });
});

it('refuses a data folder that others can write when its mode cannot be fixed', async () => {
  const dataDir = tempDir();
  fs.chmodSync(dataDir, 0o777);
  // Immutable: not even root can change its mode.
  execFileSync('chattr', ['+i', dataDir]);
  try {
    const result = await runServerChild(dataDir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('others can write to the data folder');
    expect(result.stdout).toContain(dataDir);
  } finally {
    execFileSync('chattr', ['-i', dataDir]);
  }
});
