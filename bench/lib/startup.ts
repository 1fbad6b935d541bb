import { spawn } from 'node:child_process';
import { EMPTY_FRAME } from './bodies';
import { NodeChild } from './children';
import { healthServing } from './grpc-probe';
import { PATHS, START_FLAGS } from './settings';

export interface StartupTiming {
  /** Spawn to the "serving gRPC" log line. */
  readonly logMs: number;
  /** Spawn to the first grpc.health.v1 Check answering SERVING (polled every 5 ms). */
  readonly healthMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the built server once on an existing data folder, times it to SERVING, and stops it. */
export async function timeStartup(env: Record<string, string>, grpcPort: number): Promise<StartupTiming> {
  const child = new NodeChild('server (start-up)', PATHS.serverMain, { env, nodeFlags: [...START_FLAGS] });
  let stopped = false;
  void child.exited.then(() => (stopped = true));
  const health = (async () => {
    while (!stopped) {
      if (await healthServing(grpcPort, EMPTY_FRAME)) return performance.now();
      await sleep(5);
    }
    return NaN;
  })();
  try {
    const seen = await child.waitForMsg('serving gRPC', 120_000);
    child.stopReading();
    const healthAt = await health;
    return { logMs: seen.at - child.spawnedAt, healthMs: healthAt - child.spawnedAt };
  } finally {
    await child.stop();
  }
}

/**
 * Spawn to exit of a Node process that only loads the server's modules
 * (dist/src/server.js and what it imports): the part of every start-up that
 * does not depend on the data. Median of `runs`.
 */
export async function moduleLoadMs(runs = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(PATHS.serverModule)})`], { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loading ${PATHS.serverModule} exited ${code}`))));
    });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
