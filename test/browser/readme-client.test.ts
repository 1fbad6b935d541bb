/**
 * The README's TypeScript client (examples/grpc-web-client.ts) as another
 * project uses it: a consumer folder that depends on this package by name
 * (package.json "exports", the built dist/ and its type declarations),
 * compiled with tsc under module node16 both as an ES module ("type":
 * "module") and as CommonJS, and each run with plain `node` against a real
 * server, as a reader would run it.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { issueToken, type TestServer, startTestServer } from '../helpers/server';

const ROOT = path.join(__dirname, '../..');
const EXAMPLE = 'examples/grpc-web-client.ts';

/** A consumer project of the given module kind, with the example compiled in it; returns the compiled file. */
function compileConsumer(kind: 'module' | 'commonjs'): string {
  const consumer = fs.mkdtempSync(path.join(os.tmpdir(), `client-consumer-${kind}-`));
  const modules = path.join(consumer, 'node_modules');
  const link = (name: string, target = path.join(ROOT, 'node_modules', name)) => {
    fs.mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    fs.symlinkSync(target, path.join(modules, name), 'dir');
  };
  link('oidc-settings-service', ROOT);
  // What the example imports beside this package, as the reader would install it.
  link('@improbable-eng/grpc-web-node-http-transport');
  link('@types/node');
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: kind }));
  fs.writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out' },
      files: ['grpc-web-client.ts'],
    }),
  );
  fs.copyFileSync(path.join(ROOT, EXAMPLE), path.join(consumer, 'grpc-web-client.ts'));
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', consumer], { encoding: 'utf8' });
  } catch (error) {
    // tsc prints its diagnostics on stdout.
    throw new Error(`${EXAMPLE} does not compile as ${kind}:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
  }
  return path.join(consumer, 'out', 'grpc-web-client.js');
}

describe.each(['module', 'commonjs'] as const)("the README's TypeScript client, compiled as %s", (kind) => {
  let server: TestServer;
  let compiled: string;
  beforeAll(async () => {
    compiled = compileConsumer(kind);
    server = await startTestServer();
  }, 60_000);
  afterAll(() => server?.stop());

  const run = (token: string) =>
    promisify(execFile)(process.execPath, [compiled], {
      env: { ...process.env, GATEWAY: `http://127.0.0.1:${server.server.http.port}`, TOKEN: token },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('compiles to the module kind asked for', () => {
    const text = fs.readFileSync(compiled, 'utf8');
    if (kind === 'module') expect(text).toMatch(/^import .* from 'oidc-settings-service\/client';$/m);
    else expect(text).toContain('require("oidc-settings-service/client")');
  });

  it('runs with node: reads, then updates the settings', async () => {
    const { code, stdout, stderr } = await run(server.adminToken);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^access tokens live 43200s, sequence \d+\nupdated, sequence \d+\n$/);
  });

  it('reports a refused update with its code name', async () => {
    const { code, stdout, stderr } = await run(await issueToken(server.dataDir, 'IAM_OWNER_VIEWER'));
    expect(code).toBe(1);
    expect(stdout).toMatch(/^access tokens live \d+s/);
    expect(stderr).toMatch(/^PermissionDenied: /);
  });
});
