import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { Tokens } from '../../src/app/tokens';
import { createLogger } from '../../src/log';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { type RunningServer, startServer } from '../../src/server';

export interface TestServer {
  readonly server: RunningServer;
  readonly grpcPort: number;
  readonly dataDir: string;
  /** The IAM_OWNER token the server wrote to admin.pat at first start. */
  readonly adminToken: string;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'oidc-settings-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The real server, in this process, on 127.0.0.1 port 0, with a temp data folder. */
export async function startTestServer(env: Record<string, string> = {}, dataDir = tempDir()): Promise<TestServer> {
  const config = loadConfig(
    { GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env },
    [],
  );
  const server = await startServer(config, createLogger(config.logLevel));
  return {
    server,
    grpcPort: server.grpc.port,
    dataDir,
    adminToken: fs.readFileSync(config.adminTokenFile, 'utf8').trim(),
    stop: () => server.stop(),
  };
}

/** A token of a role, issued straight into a server's SQLite database (as the token CLI does). */
export async function issueToken(
  dataDir: string,
  role: 'IAM_OWNER' | 'IAM_OWNER_VIEWER',
  options: { expiresAt?: number | null } = {},
): Promise<string> {
  const store = SqliteStore.open(path.join(dataDir, 'oidc-settings.db'), { verify: false });
  try {
    return (await new Tokens(store.tokens).issue(role, options)).secret;
  } finally {
    await store.close();
  }
}
