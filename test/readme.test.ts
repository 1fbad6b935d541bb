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
  it('shows examples/grpc-client.js verbatim', () => {
    const example = fs.readFileSync(path.join(ROOT, 'examples/grpc-client.js'), 'utf8');
    expect(README).toContain(`<!-- example:examples/grpc-client.js -->\n\`\`\`js\n${example}\`\`\``);
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
  });
});
