/**
 * The oidc-settings command line (bin/oidc-settings.js runs this file):
 * one subcommand per module, each loaded only when it is chosen, so that a
 * token is made without loading pg, and nothing here waits for a build.
 */
import type * as backupModule from './commands/backup';
import type { Command } from './command';
import { UsageError } from './command';
import type * as copyStoreModule from './commands/copy-store';
import type * as restoreModule from './commands/restore';
import type * as tokenModule from './commands/token';

/* eslint-disable @typescript-eslint/no-require-imports -- require, not import(): loaded when chosen, and synchronously */
const COMMANDS: Readonly<Record<string, { readonly summary: string; load(): Command }>> = {
  token: {
    summary: 'create, list or revoke personal access tokens (also while the server runs)',
    load: () => (require('./commands/token') as typeof tokenModule).token,
  },
  backup: {
    summary: 'copy the SQLite database to a file, consistently, also while the server runs',
    load: () => (require('./commands/backup') as typeof backupModule).backup,
  },
  restore: {
    summary: 'put a backup in place as the database (the server stopped)',
    load: () => (require('./commands/restore') as typeof restoreModule).restore,
  },
  'copy-store': {
    summary: 'copy the SQLite database into an empty PostgreSQL database',
    load: () => (require('./commands/copy-store') as typeof copyStoreModule).copyStore,
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

const usage = `Usage: oidc-settings <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(12)}${summary}`)
  .join('\n')}

Examples:
  oidc-settings token create --role IAM_OWNER_VIEWER --expires 30d
  oidc-settings backup --to backups/oidc-settings-$(date +%F).db
  oidc-settings restore --from backups/oidc-settings-2026-12-01.db --data-dir ./data

oidc-settings <command> --help tells more about each command. From this
project's folder: npx oidc-settings ..., or npm run -s token -- ... (and
backup, restore, copy-store). Run npm run build after changing the sources.
Exit codes: 0 done, 1 failed, 2 usage error.`;

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const entry = name === undefined ? undefined : COMMANDS[name];
  if (entry === undefined) {
    const problem = name === undefined ? 'no command given' : `unknown command ${JSON.stringify(name)}`;
    process.stderr.write(`oidc-settings: ${problem}\n\n${usage}\n`);
    return 2;
  }
  const command = entry.load();
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${name}: ${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

// The exit code, not process.exit(): output still being written gets out.
void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
