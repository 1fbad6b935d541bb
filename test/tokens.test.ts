/**
 * Personal access tokens and the token command (`oidc-settings token`, also
 * `npx oidc-settings token` and `npm run -s token --`), used beside a running
 * server on the same data folder.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@grpc/grpc-js';
import { CLI } from './helpers/cli';
import { adminClient, call, lifetimes } from './helpers/grpc-client';
import { type TestServer, startTestServer, tempDir } from './helpers/server';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');

const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;

describe('tokens', () => {
  let server: TestServer;
  let client: Client;
  const cli = (dataDir: string, ...args: string[]) =>
    run(process.execPath, [CLI, 'token', ...args], { env: { ...process.env, DATA_DIR: dataDir } });
  const codeOf = async (p: Promise<{ ok: boolean; code?: number }>) => {
    const outcome = await p;
    return outcome.ok ? 0 : outcome.code;
  };

  beforeAll(async () => {
    server = await startTestServer();
    client = adminClient(server.grpcPort);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it('`npx oidc-settings token create` in the project folder prints the token and nothing else on stdout', async () => {
    const { stdout, stderr } = await run('npx', ['oidc-settings', 'token', 'create', '--role', 'IAM_OWNER_VIEWER'], {
      cwd: ROOT,
      // An empty npm cache, offline: npx runs the project's own bin (package.json "bin") with nothing from a registry.
      env: { ...process.env, DATA_DIR: server.dataDir, npm_config_cache: tempDir('npx-cache-'), npm_config_offline: 'true' },
    });
    expect(stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(stderr).toMatch(/created token \d+ \(IAM_OWNER_VIEWER, expires -\)/);
    expect(await codeOf(call(client, 'GetOIDCSettings', {}, stdout.trim()))).toBe(0);
  });

  it('`npm run -s token -- create` prints the token and nothing else on stdout, and builds nothing first', async () => {
    // A build (tsc) rewrites every file of dist/.
    const built = ['dist/src/main.js', 'dist/src/cli/main.js'].map((file) => fs.statSync(path.join(ROOT, file)).mtimeMs);
    const { stdout, stderr } = await run('npm', ['run', '-s', 'token', '--', 'create', '--role', 'IAM_OWNER_VIEWER'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: server.dataDir },
    });
    expect(stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(stderr).toContain('IAM_OWNER_VIEWER');
    expect(await codeOf(call(client, 'GetOIDCSettings', {}, stdout.trim()))).toBe(0);
    expect(['dist/src/main.js', 'dist/src/cli/main.js'].map((file) => fs.statSync(path.join(ROOT, file)).mtimeMs)).toEqual(built);
  });

  it('a viewer token from the CLI can Get but not Update', async () => {
    const viewer = (await cli(server.dataDir, 'create', '--role', 'IAM_OWNER_VIEWER')).stdout.trim();
    expect(await codeOf(call(client, 'GetOIDCSettings', {}, viewer))).toBe(0);
    expect(await codeOf(call(client, 'UpdateOIDCSettings', lifetimes(9, 9, 9, 9), viewer))).toBe(PERMISSION_DENIED);
  });

  it('an owner token from the CLI can Update', async () => {
    const owner = (await cli(server.dataDir, 'create', '--role', 'IAM_OWNER', '--description', 'ci')).stdout.trim();
    expect(await codeOf(call(client, 'UpdateOIDCSettings', lifetimes(9, 9, 9, 9), owner))).toBe(0);
  });

  it('an expired token fails with UNAUTHENTICATED', async () => {
    const shortLived = (await cli(server.dataDir, 'create', '--role', 'IAM_OWNER', '--expires', '300ms')).stdout.trim();
    expect(await codeOf(call(client, 'GetOIDCSettings', {}, shortLived))).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await codeOf(call(client, 'GetOIDCSettings', {}, shortLived))).toBe(UNAUTHENTICATED);
  });

  it('list shows ids, roles and expiry, never a secret; revoke takes effect on the running server', async () => {
    const created = await cli(server.dataDir, 'create', '--role', 'IAM_OWNER', '--expires', '30d');
    const secret = created.stdout.trim();
    const id = /created token (\d+)/.exec(created.stderr)![1]!;
    expect(await codeOf(call(client, 'GetOIDCSettings', {}, secret))).toBe(0);

    const list = (await cli(server.dataDir, 'list')).stdout;
    const row = list.split('\n').find((line) => line.startsWith(id))!;
    expect(row).toContain('IAM_OWNER');
    expect(row).toMatch(/\d{4}-\d\d-\d\dT/); // its expiry
    expect(list).not.toContain(secret);
    expect(list).not.toContain(server.adminToken);

    await cli(server.dataDir, 'revoke', id);
    expect(await codeOf(call(client, 'GetOIDCSettings', {}, secret))).toBe(UNAUTHENTICATED);
    await expect(cli(server.dataDir, 'revoke', id)).rejects.toMatchObject({ code: 1 });
    expect((await cli(server.dataDir, 'list')).stdout.split('\n').find((l) => l.startsWith(id))).toMatch(/T.*T.*T/);
  });

  it('refuses bad usage with exit code 2', async () => {
    await expect(cli(server.dataDir, 'create', '--role', 'ROOT')).rejects.toMatchObject({ code: 2 });
    await expect(cli(server.dataDir, 'create', '--role', 'IAM_OWNER', '--expires', 'soon')).rejects.toMatchObject({ code: 2 });
    await expect(cli(server.dataDir, 'frobnicate')).rejects.toMatchObject({ code: 2 });
  });

  it('stores no token in plain text: not in the database, not in its WAL', async () => {
    const viewer = (await cli(server.dataDir, 'create', '--role', 'IAM_OWNER_VIEWER')).stdout.trim();
    for (const name of fs.readdirSync(server.dataDir).filter((n) => n.startsWith('oidc-settings.db'))) {
      const bytes = fs.readFileSync(path.join(server.dataDir, name));
      expect(bytes.includes(server.adminToken)).toBe(false);
      expect(bytes.includes(viewer)).toBe(false);
    }
  });
});
