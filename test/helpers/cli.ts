import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/** The oidc-settings command line, as package.json's "bin" names it (what `npx oidc-settings` runs); needs a build. */
export const CLI = path.join(__dirname, '../../bin/oidc-settings.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `oidc-settings <args>` to its end, as an operator would: without
 * DATA_DIR or DATABASE_URL from this environment unless given in `env`.
 * Never rejects for an exit code; the code is in the result.
 */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'DATA_DIR' && key !== 'DATABASE_URL'));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...inherited, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
