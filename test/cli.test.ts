/**
 * The oidc-settings command line itself (bin/oidc-settings.js, package.json
 * "bin"): usage and help, exit codes, the message when nothing is built, and
 * that a command loads only what it needs. What each command does is tested
 * beside it: tokens.test.ts, backup.test.ts, postgres/copy-store.test.ts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI, runCli } from './helpers/cli';
import { tempDir } from './helpers/server';

const COMMANDS = ['token', 'backup', 'restore', 'copy-store'];

describe('oidc-settings', () => {
  it('--help lists every command, on stdout, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = await runCli(args);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^Usage: oidc-settings <command> \[options\]\n/);
      for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    }
  });

  it.each(COMMANDS)('%s --help prints its own usage, on stdout, exit 0', async (command) => {
    const run = await runCli([command, '--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^Usage: oidc-settings ${command} `));
    expect(run.stdout).toContain('--data-dir <dir>');
  });

  it.each([
    { args: [], says: 'oidc-settings: no command given', usage: 'Usage: oidc-settings <command>' },
    { args: ['frobnicate'], says: 'oidc-settings: unknown command "frobnicate"', usage: 'Usage: oidc-settings <command>' },
    { args: ['token'], says: 'token: which command: create, list or revoke?', usage: 'Usage: oidc-settings token ' },
    { args: ['token', 'frobnicate'], says: 'token: unknown command "frobnicate"', usage: 'Usage: oidc-settings token ' },
    { args: ['token', 'list', '--role', 'IAM_OWNER'], says: 'token: list takes no option --role', usage: 'Usage: oidc-settings token ' },
    { args: ['backup'], says: 'backup: --to <file> is needed', usage: 'Usage: oidc-settings backup ' },
    { args: ['backup', '--to'], says: 'backup: option --to needs a value', usage: 'Usage: oidc-settings backup ' },
    { args: ['backup', '--to', 'x.db', '--bogus'], says: 'backup: unknown option --bogus', usage: 'Usage: oidc-settings backup ' },
    { args: ['backup', '--to', 'x.db', 'extra'], says: 'backup: unexpected argument "extra"', usage: 'Usage: oidc-settings backup ' },
    { args: ['restore'], says: 'restore: --from <file> is needed', usage: 'Usage: oidc-settings restore ' },
    { args: ['restore', '--from', 'x.db', '--force'], says: 'restore: unknown option --force', usage: 'Usage: oidc-settings restore ' },
    { args: ['copy-store'], says: 'copy-store: --database-url (or DATABASE_URL) is needed', usage: 'Usage: oidc-settings copy-store ' },
  ])('$args is a usage error: exit 2, the problem and the usage on stderr', async ({ args, says, usage }) => {
    const dataDir = tempDir('cli-usage-');
    const run = await runCli(args, { DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.startsWith(says)).toBe(true);
    expect(run.stderr).toContain(usage);
    // A usage error touches nothing.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('without a build says to run `npm run build` first, in one line, exit 1', async () => {
    // The project's layout without dist/: bin/ and package.json only.
    const project = tempDir('cli-unbuilt-');
    fs.mkdirSync(path.join(project, 'bin'));
    fs.copyFileSync(CLI, path.join(project, 'bin', 'oidc-settings.js'));
    const run = await promisify(execFile)(process.execPath, [path.join(project, 'bin', 'oidc-settings.js'), 'token', 'list'], { cwd: project }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run!.stderr).toMatch(/^oidc-settings: dist\/src\/cli\/main\.js is missing: run `npm run build` first\n$/);
  });

  it('is executable, with a node shebang', () => {
    expect(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(CLI).mode & 0o111).toBe(0o111);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ 'oidc-settings': 'bin/oidc-settings.js' });
  });

  describe('loads only what the chosen command needs', () => {
    /** The files of `pg` (node-postgres) that a run loaded, as NODE_DEBUG=module reports them. */
    const pgLoaded = (stderr: string) => stderr.split('\n').filter((line) => /load .*\/node_modules\/pg\//.test(line)).length;

    it('token create on SQLite never loads pg, and prints only the token on stdout', async () => {
      const run = await runCli(['token', 'create', '--role', 'IAM_OWNER_VIEWER'], { DATA_DIR: tempDir('cli-lazy-'), NODE_DEBUG: 'module' });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
      expect(pgLoaded(run.stderr)).toBe(0);
    });

    it('copy-store, which needs it, does load pg (so the check above can see it)', async () => {
      const run = await runCli(['copy-store', '--help'], { NODE_DEBUG: 'module' });
      expect(run.code).toBe(0);
      expect(pgLoaded(run.stderr)).toBeGreaterThan(0);
    });
  });
});
