import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PATHS } from './settings';

const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/**
 * The load generators come from Debian (nghttp2-client: h2load; wrk), the C
 * compiler builds the h2load body shim. On a fresh machine they are
 * installed with apt-get (as root), otherwise the bench stops and says what
 * is missing.
 */
export function ensureTools(log: (line: string) => void): void {
  const packages: Record<string, string> = { h2load: 'nghttp2-client', wrk: 'wrk', cc: 'gcc libc6-dev', timeout: 'coreutils' };
  const missing = Object.keys(packages).filter((command) => !has(command));
  if (missing.length > 0) {
    const names = missing.flatMap((command) => packages[command]!.split(' '));
    log(`installing ${names.join(' ')} (missing: ${missing.join(', ')})`);
    try {
      execFileSync('sh', ['-c', `apt-get update && apt-get install -y ${names.join(' ')}`], { stdio: 'inherit' });
    } catch {
      throw new Error(`the bench needs ${missing.join(', ')}: apt-get install -y ${names.join(' ')}`);
    }
    const still = missing.filter((command) => !has(command));
    if (still.length > 0) throw new Error(`still missing after apt-get: ${still.join(', ')}`);
  }
}

/** Compiles bench/vary-body.c into bench/out/vary-body.so (when the source is newer). */
export function buildShim(): string {
  const target = path.join(PATHS.out, 'vary-body.so');
  const stale = !fs.existsSync(target) || fs.statSync(target).mtimeMs < fs.statSync(PATHS.shimSource).mtimeMs;
  if (stale) {
    fs.mkdirSync(PATHS.out, { recursive: true });
    execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', target, PATHS.shimSource, '-ldl'], { stdio: 'inherit' });
  }
  return target;
}

/** Version strings of the tools, for the report. */
export function toolVersions(): Record<string, string> {
  const first = (command: string, args: string[]): string => {
    const run = spawnSync(command, args, { encoding: 'utf8' });
    return `${run.stdout}${run.stderr}`.split('\n')[0]!.trim();
  };
  return { h2load: first('h2load', ['--version']), wrk: first('wrk', ['-v']).replace(/\s+Copyright.*$/, '') };
}
