/** The README's examples and tables are what the code does. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SETTINGS, flagOf } from '../src/config/config';
import { type TestServer, startTestServer } from './helpers/server';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it.each(['examples/grpc-client.js', 'examples/connect-client.mjs', 'examples/grpc-web-client.ts'])('shows %s verbatim', (file) => {
    const example = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const fence = file.endsWith('.ts') ? 'ts' : 'js';
    expect(README).toContain(`<!-- example:${file} -->\n\`\`\`${fence}\n${example}\`\`\``);
  });

  it('shows no client code outside the examples the tests run', () => {
    // Every fenced JS/TS block is one of the files above, which the tests execute.
    const blocks = [...README.matchAll(/(<!-- example:[^>]+ -->\n)?```(js|ts|mjs|javascript|typescript)\n/g)];
    expect(blocks.filter((m) => m[1] === undefined).map((m) => m.index)).toEqual([]);
  });

  it('documents every setting with its flag and default, and nothing else', () => {
    const table = README.split('<!-- settings-table -->')[1]!.split('<!-- /settings-table -->')[0]!;
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    const programs = (s: { programs: readonly string[] }) => (s.programs.length === 2 ? 'both' : s.programs[0]);
    expect(rows).toEqual(
      Object.values(SETTINGS).map(
        (s) => `| \`${s.env}\` | \`${flagOf(s)}\` | ${s.default === '' ? '' : `\`${s.default}\``} | ${programs(s)} | ${s.description} |`,
      ),
    );
  });

  describe('the Node client example', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(() => server.stop());

    it('runs against the server and updates the settings', async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'examples/grpc-client.js')], {
        env: { ...process.env, ADDRESS: `127.0.0.1:${server.grpcPort}`, TOKEN: server.adminToken },
      });
      expect(stdout).toBe('updated, sequence 3\n');
    });

    // examples/connect-client.mjs, as a user runs it: plain node, an ES module.
    const connectClient = (transport: string, baseUrl: string, token: string) =>
      promisify(execFile)(process.execPath, [path.join(ROOT, 'examples/connect-client.mjs')], {
        env: { ...process.env, TRANSPORT: transport, BASE_URL: baseUrl, TOKEN: token },
      });

    it.each(['connect', 'connect-binary', 'grpc-web', 'grpc'])('connect-client.mjs runs over %s', async (transport) => {
      const port = transport === 'grpc' ? server.grpcPort : server.server.http.port;
      const { stdout } = await connectClient(transport, `http://127.0.0.1:${port}`, server.adminToken);
      expect(stdout).toMatch(/^updated, sequence \d+; access tokens live 3600s\n$/);
    });

    it('connect-client.mjs reports an error with its code and ZITADEL id', async () => {
      const failed = await connectClient('connect', `http://127.0.0.1:${server.server.http.port}`, 'not-a-token').then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toMatch(/^Unauthenticated \[AUTH-7fs1e\]: Token is invalid/);
    });
  });

  describe('the terminal commands (buf curl, curl)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(() => server.stop());

    /** Every `npx buf curl` and `curl` command of the README's sh blocks, continuation lines joined. */
    const commands = [...README.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((block) => block[1]!.replace(/\\\n\s*/g, ' ').split('\n'))
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('npx buf curl') || line.startsWith('curl '));

    it('has buf curl commands over gRPC (reflection), gRPC-Web and Connect, and REST and Connect curl commands', () => {
      expect(commands.filter((c) => c.includes('--protocol grpc ')).length).toBeGreaterThanOrEqual(2);
      expect(commands.filter((c) => c.includes('--protocol grpcweb')).length).toBeGreaterThanOrEqual(1);
      expect(commands.filter((c) => c.includes('--protocol connect')).length).toBeGreaterThanOrEqual(1);
      expect(commands.filter((c) => c.startsWith('curl ') && c.includes("'content-type: application/json'")).length).toBeGreaterThanOrEqual(2);
      expect(commands.filter((c) => c.startsWith('curl ')).length).toBeGreaterThanOrEqual(2);
    });

    it('runs each of them, word for word but for the addresses, against the server', async () => {
      for (const command of commands) {
        const line = command
          .replaceAll('$(cat data/admin.pat)', server.adminToken)
          .replaceAll('$TOKEN', server.adminToken)
          .replaceAll('localhost:50051', `127.0.0.1:${server.grpcPort}`)
          .replaceAll('localhost:8080', `127.0.0.1:${server.server.http.port}`);
        const { stdout } = await promisify(execFile)('bash', ['-c', `set -o pipefail; ${line}`], { cwd: ROOT });
        // Every one of them answers JSON: a response, a method list or a google.rpc.Status.
        if (command.includes('--list-methods')) expect(stdout).toContain('zitadel.admin.v1.AdminService/UpdateOIDCSettings');
        else expect({ command, json: typeof JSON.parse(stdout) }).toEqual({ command, json: 'object' });
      }
    }, 60_000);
  });
});
