/**
 * A database that cannot be trusted stops the start, naming the file and
 * the reason, and is left exactly as it was; so does bad configuration. A
 * start that cannot listen or write says which setting to change, in one
 * line. One that succeeds ends with a line of URLs that answer.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type ChildResult, runChildGateway, runChildServer, startChildGateway, startChildServer } from './helpers/child-server';
import { selfSignedCertificate } from './helpers/self-signed';
import { tempDir } from './helpers/server';
import { LATEST_VERSION } from '../src/store/sqlite/migrations';
import { TOKEN_COMMAND } from '../src/ready-line';

const dbFile = (dataDir: string) => path.join(dataDir, 'oidc-settings.db');
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

/** A database the server made and closed cleanly. */
async function createDatabase(): Promise<string> {
  const dataDir = tempDir();
  const server = await startChildServer(dataDir);
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  return dataDir;
}

describe('start-up refuses a database it cannot trust', () => {
  it('a file that is not SQLite', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(dbFile(dataDir), 'this is not a database, it is a text file that happens to be here\n'.repeat(100));
    const before = sha(dbFile(dataDir));
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain(dbFile(dataDir));
    expect(output(result)).toContain('not a SQLite database');
    expect(sha(dbFile(dataDir))).toBe(before);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['oidc-settings.db']);
  });

  it('a SQLite file with corrupt pages', async () => {
    const dataDir = await createDatabase();
    const file = dbFile(dataDir);
    // Overwrite every page after the first (schema) page with noise.
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    crypto.randomFillSync(bytes, pageSize);
    fs.writeFileSync(file, bytes);
    const before = sha(file);
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain(file);
    expect(output(result)).toMatch(/corrupt|malformed/);
    expect(sha(file)).toBe(before);
  });

  it('a database of a newer schema version', async () => {
    const dataDir = await createDatabase();
    const db = new Database(dbFile(dataDir));
    db.pragma('user_version = 99');
    db.close();
    const before = sha(dbFile(dataDir));
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain(dbFile(dataDir));
    expect(output(result)).toContain(`schema version 99 is newer than this build supports (${LATEST_VERSION})`);
    expect(sha(dbFile(dataDir))).toBe(before);
  });

  it('a database path that is a folder', async () => {
    const dataDir = tempDir();
    fs.mkdirSync(dbFile(dataDir));
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain('not a regular file');
  });
});

describe('start-up refuses bad configuration, naming the setting', () => {
  it.each([
    [{ GRPC_PORT: 'http' }, [], 'GRPC_PORT'],
    [{ GRPC_PORT: '70000' }, [], 'GRPC_PORT'],
    [{ DEFAULT_ACCESS_TOKEN_LIFETIME: 'forever' }, [], 'DEFAULT_ACCESS_TOKEN_LIFETIME'],
    [{ DEFAULT_REFRESH_TOKEN_EXPIRATION: '0h' }, [], 'DEFAULT_REFRESH_TOKEN_EXPIRATION'],
    [{ SEED_DEFAULTS: 'maybe' }, [], 'SEED_DEFAULTS'],
    [{}, ['--grpc-port', '-1'], '--grpc-port'],
    [{}, ['--no-such-option', '1'], '--no-such-option'],
  ])('%j %j', async (env, args, named) => {
    const dataDir = tempDir();
    const result = await runChildServer(dataDir, env, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('configuration error');
    expect(result.stderr).toContain(named);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('--help lists every setting with its flag, variable and default', async () => {
    const result = await runChildServer(tempDir(), {}, ['--help']);
    expect(result.code).toBe(0);
    for (const name of ['--grpc-port', 'GRPC_PORT', '--data-dir', 'DATA_DIR', 'SEED_DEFAULTS', 'DEFAULT_ACCESS_TOKEN_LIFETIME']) {
      expect(result.stdout).toContain(name);
    }
  });
});

describe('first start', () => {
  it('creates admin.pat with mode 0600 and logs its path, never the token', async () => {
    const dataDir = tempDir();
    const server = await startChildServer(dataDir);
    server.child.kill('SIGTERM');
    await server.exited;
    const tokenFile = path.join(dataDir, 'admin.pat');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
    const logged = JSON.stringify(server.logs);
    expect(logged).toContain(tokenFile);
    expect(logged).not.toContain(token);
  });
});

type Entry = Record<string, unknown>;
const isReady = (entry: Entry) => String(entry['msg']).startsWith('ready: ');
const portOf = (entry: Entry) => Number(String(entry['address']).split(':').at(-1));

describe('the ready line', () => {
  it('names the page, REST, gRPC-Web and Connect, gRPC with their real ports, and the token file; its URLs answer', async () => {
    const dataDir = tempDir();
    const server = await startChildServer(dataDir);
    try {
      const http = portOf(await server.logLine((e) => e['msg'] === 'serving gRPC-Web, Connect and REST'));
      const ready = await server.logLine(isReady);
      const base = `http://127.0.0.1:${http}`;
      const tokenFile = path.join(dataDir, 'admin.pat');
      expect(ready['urls']).toEqual({
        page: `${base}/ui/`,
        rest: `${base}/admin/v1/settings/oidc`,
        grpcWeb: base,
        connect: base,
        grpc: `127.0.0.1:${server.port}`,
      });
      expect(ready['tokenFile']).toBe(tokenFile);
      expect(ready['msg']).toBe(
        `ready: open ${base}/ui/ (settings page) · REST ${base}/admin/v1/settings/oidc · gRPC-Web and Connect ${base} · gRPC 127.0.0.1:${server.port} · token in ${tokenFile}`,
      );
      // After both listeners: the last start line.
      expect(server.logs.findIndex(isReady)).toBeGreaterThan(server.logs.findIndex((e) => e['msg'] === 'serving gRPC-Web, Connect and REST'));

      const urls = ready['urls'] as Record<string, string>;
      const page = await fetch(urls['page']!);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const token = fs.readFileSync(tokenFile, 'utf8').trim();
      const rest = await fetch(urls['rest']!, { headers: { authorization: `Bearer ${token}` } });
      expect(rest.status).toBe(200);
      expect(await rest.json()).toMatchObject({ settings: { accessTokenLifetime: '43200s' } });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('says localhost for 0.0.0.0, follows REST_MOUNTS, and names the token command when admin.pat is gone', async () => {
    const dataDir = tempDir();
    const first = await startChildServer(dataDir);
    first.child.kill('SIGTERM');
    await first.exited;
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    fs.rmSync(path.join(dataDir, 'admin.pat'));

    const server = await startChildServer(dataDir, { HTTP_HOST: '0.0.0.0', REST_MOUNTS: 'zitadel.admin.v1.AdminService=/api/admin' });
    try {
      const ready = await server.logLine(isReady);
      const http = portOf(server.logs.find((e) => e['msg'] === 'serving gRPC-Web, Connect and REST')!);
      const rest = `http://localhost:${http}/api/admin/settings/oidc`;
      expect(ready['urls']).toMatchObject({ page: `http://localhost:${http}/ui/`, rest });
      expect(ready['tokenFile']).toBeUndefined();
      expect(ready['msg']).toContain(`REST ${rest} `);
      expect(ready['msg']).toMatch(new RegExp(`a token: ${TOKEN_COMMAND}$`));
      expect(String(ready['msg'])).not.toContain('admin.pat');
      const answer = await fetch(rest.replace('localhost', '127.0.0.1'), { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('says https:// over TLS, and [::1] for an IPv6 host', async () => {
    const { certFile, keyFile } = selfSignedCertificate('ready-tls-');
    const server = await startChildServer(tempDir(), { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, HTTP_HOST: '::1' });
    try {
      const ready = await server.logLine(isReady);
      const http = portOf(server.logs.find((e) => e['msg'] === 'serving gRPC-Web, Connect and REST')!);
      const urls = ready['urls'] as Record<string, string>;
      expect(urls['page']).toBe(`https://[::1]:${http}/ui/`);
      expect(ready['msg']).toContain(`gRPC 127.0.0.1:${server.port} (TLS)`);
      const status = await new Promise<number | undefined>((resolve, reject) =>
        https
          .get(urls['page']!, { rejectUnauthorized: false }, (response) => {
            response.resume();
            resolve(response.statusCode);
          })
          .on('error', reject),
      );
      expect(status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it("the standalone gateway's: REST, gRPC-Web and Connect on its port, and its upstream; its REST URL answers", async () => {
    const dataDir = tempDir();
    const upstream = await startChildServer(dataDir);
    const gateway = await startChildGateway(['--upstream', `127.0.0.1:${upstream.port}`]);
    try {
      const base = `http://127.0.0.1:${gateway.port}`;
      let ready: Entry | undefined;
      for (let i = 0; i < 100 && ready === undefined; i++) {
        ready = gateway
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Entry)
          .find(isReady);
        if (ready === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(ready?.['urls']).toEqual({ rest: `${base}/admin/v1/settings/oidc`, grpcWeb: base, connect: base, upstream: `127.0.0.1:${upstream.port}` });
      expect(ready?.['msg']).toBe(
        `ready: REST ${base}/admin/v1/settings/oidc · gRPC-Web and Connect ${base} · forwarding to gRPC 127.0.0.1:${upstream.port}`,
      );
      const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
      const rest = await fetch(`${base}/admin/v1/settings/oidc`, { headers: { authorization: `Bearer ${token}` } });
      expect(rest.status).toBe(200);
    } finally {
      gateway.child.kill('SIGTERM');
      upstream.child.kill('SIGTERM');
      await Promise.all([gateway.exited, upstream.exited]);
    }
  });
});

/**
 * A failed start is one line that names the setting: a fatal log line (the
 * process's last) when the environment is in the way, the configuration
 * error on stderr when a value is wrong; never a stack trace nor grpc-js's
 * own "No address added" line.
 */
function expectOneLineNaming(result: ChildResult, setting: string, kind: 'start' | 'configuration'): string {
  const all = result.stdout + result.stderr;
  expect(all).not.toMatch(/^\s+at /m);
  expect(all).not.toContain('No address added');
  if (kind === 'configuration') {
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(new RegExp(`^configuration error: .*${setting}`))]);
    return result.stderr;
  }
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('');
  const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Entry);
  const failures = lines.filter((entry) => Number(entry['level']) >= 50);
  expect(failures).toHaveLength(1);
  expect(lines.at(-1)).toBe(failures[0]);
  const failure = failures[0]!;
  expect(failure['setting']).toBe(setting);
  expect(failure['err']).toBeUndefined();
  const message = String(failure['msg']);
  expect(message).toContain(`(${setting})`);
  return message;
}

/** A port held by a real listener on 127.0.0.1 while `use` runs. */
async function withPortInUse<T>(use: (port: number) => Promise<T>): Promise<T> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  try {
    return await use((holder.address() as net.AddressInfo).port);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
}

// The tests run as root, who may bind any port and write any folder:
// those cases run the server as nobody (as test/hardening does).
const NOBODY = 65534;

describe('a start that cannot go on says which setting to change, in one line', () => {
  it.each([
    ['GRPC_PORT', '--grpc-port'],
    ['HTTP_PORT', '--http-port'],
  ])('%s in use', async (setting, flag) => {
    await withPortInUse(async (port) => {
      const result = await runChildServer(tempDir(), { [setting]: String(port) });
      const message = expectOneLineNaming(result, setting, 'start');
      expect(message).toBe(`cannot listen on 127.0.0.1:${port} (${setting}): the port is in use; stop what uses it or set ${setting} (${flag})`);
    });
  });

  it('the standalone gateway: HTTP_PORT in use', async () => {
    await withPortInUse(async (port) => {
      const result = await runChildGateway(['--upstream', '127.0.0.1:1', '--http-port', String(port)]);
      const message = expectOneLineNaming(result, 'HTTP_PORT', 'start');
      expect(message).toContain(`cannot listen on 127.0.0.1:${port} (HTTP_PORT): the port is in use`);
    });
  });

  it('HTTP_PORT below 1024 without the right to bind it (EACCES)', async () => {
    // Linux's default; a container may lower it (then port 80 is anyone's).
    expect(Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'))).toBeGreaterThan(80);
    const dataDir = tempDir();
    fs.chownSync(dataDir, NOBODY, NOBODY);
    const result = await runChildServer(dataDir, { HTTP_PORT: '80' }, [], { uid: NOBODY });
    const message = expectOneLineNaming(result, 'HTTP_PORT', 'start');
    expect(message).toContain('cannot listen on 127.0.0.1:80 (HTTP_PORT): permission denied: ports below 1024 need root');
    expect(message).toContain('set HTTP_PORT (--http-port) to 1024 or above');
  });

  it.each([
    ['GRPC_HOST', '--grpc-host'],
    ['HTTP_HOST', '--http-host'],
  ])('%s not an address of this machine (EADDRNOTAVAIL)', async (setting, flag) => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a local address.
    const result = await runChildServer(tempDir(), { [setting]: '192.0.2.1' });
    const message = expectOneLineNaming(result, setting, 'start');
    expect(message).toContain(`(${setting}): 192.0.2.1 is not an address of this machine; set ${setting} (${flag})`);
  });

  it('DATA_DIR that cannot be created: a file in its path (ENOTDIR)', async () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    const dataDir = path.join(file, 'data');
    const result = await runChildServer(dataDir);
    const message = expectOneLineNaming(result, 'DATA_DIR', 'start');
    expect(message).toBe(
      `cannot create the data folder ${dataDir} (DATA_DIR): a part of the path is a file, not a folder (ENOTDIR); set DATA_DIR (--data-dir) to a folder path`,
    );
  });

  it('DATA_DIR that the user it runs as cannot create, or cannot write (EACCES)', async () => {
    const parent = tempDir();
    fs.chmodSync(parent, 0o755); // nobody may enter, not write
    const created = await runChildServer(path.join(parent, 'data'), {}, [], { uid: NOBODY });
    expect(expectOneLineNaming(created, 'DATA_DIR', 'start')).toBe(
      `cannot create the data folder ${path.join(parent, 'data')} (DATA_DIR): permission denied (EACCES); create it for the user the server runs as (uid ${NOBODY}), or set DATA_DIR (--data-dir) to a folder it may write`,
    );
    const written = await runChildServer(parent, {}, [], { uid: NOBODY });
    expect(expectOneLineNaming(written, 'DATA_DIR', 'start')).toBe(
      `cannot write to the data folder ${parent} (DATA_DIR): permission denied (EACCES); let the user the server runs as (uid ${NOBODY}) write to it, or set DATA_DIR (--data-dir)`,
    );
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  describe('TLS files that cannot be used', () => {
    const { certFile, keyFile } = selfSignedCertificate('bad-tls-');
    const other = selfSignedCertificate('other-tls-');
    const garbage = path.join(tempDir(), 'garbage.pem');
    fs.writeFileSync(garbage, 'not a certificate\n');

    it.each([
      ['a certificate that cannot be read', { TLS_CERT_FILE: path.dirname(certFile), TLS_KEY_FILE: keyFile }, 'TLS_CERT_FILE', 'cannot be read: it is a folder (EISDIR)'],
      ['a key that is not there', { TLS_CERT_FILE: certFile, TLS_KEY_FILE: `${keyFile}.missing` }, 'TLS_KEY_FILE', 'cannot be read: no such file or folder (ENOENT)'],
      ['a certificate that is not PEM', { TLS_CERT_FILE: garbage, TLS_KEY_FILE: keyFile }, 'TLS_CERT_FILE', 'is not a PEM certificate'],
      ['a key that is not PEM', { TLS_CERT_FILE: certFile, TLS_KEY_FILE: garbage }, 'TLS_KEY_FILE', 'is not a PEM private key'],
      ['a key in place of the certificate', { TLS_CERT_FILE: keyFile, TLS_KEY_FILE: keyFile }, 'TLS_CERT_FILE', 'is not a PEM certificate'],
      ['the key of another certificate', { TLS_CERT_FILE: certFile, TLS_KEY_FILE: other.keyFile }, 'TLS_KEY_FILE', 'is not the private key of TLS_CERT_FILE'],
    ])('%s', async (_case, env, setting, reason) => {
      const dataDir = tempDir();
      const message = expectOneLineNaming(await runChildServer(dataDir, env), setting, 'configuration');
      expect(message).toContain(reason);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    });

    it('the standalone gateway too', async () => {
      const result = await runChildGateway(['--upstream', '127.0.0.1:1'], { TLS_CERT_FILE: certFile, TLS_KEY_FILE: other.keyFile });
      expect(expectOneLineNaming(result, 'TLS_KEY_FILE', 'configuration')).toContain('is not the private key of TLS_CERT_FILE');
    });
  });
});
