import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** User + system CPU seconds the command used (its rusage, through bash's `times`). */
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

/** "1m2.345s" as seconds. */
const minutesSeconds = (text: string): number => {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : 0;
};

/**
 * Runs a load generator to completion. It runs under bash so that bash's
 * `times` can report the CPU its child used (Node does not expose a child's
 * rusage); that goes to fd 3, apart from the tool's own output.
 */
export function execTimed(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutSeconds?: number } = {},
): Promise<ExecResult> {
  const started = performance.now();
  // coreutils timeout: a run that hangs (a stalled server) fails instead of blocking the bench.
  const limit = ['timeout', '-k', '5', String(Math.ceil(options.timeoutSeconds ?? 300))];
  const child = spawn('bash', ['-c', '"$@"; rc=$?; times >&3; exit $rc', 'bench', ...limit, command, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let times = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (times += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      // `times` prints the shell's user/system times, then its children's.
      const children = times.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
      const cpuSeconds = children.reduce((sum, t) => sum + minutesSeconds(t), 0);
      resolve({ code, stdout, stderr, cpuSeconds, wallSeconds: (performance.now() - started) / 1000 });
    });
  });
}
