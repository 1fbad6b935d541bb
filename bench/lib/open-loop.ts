import fs from 'node:fs';
import path from 'node:path';
import type { OpenLoopOutput, OpenLoopSpec } from '../loadgen/main';
import { execTimed } from './exec';
import { LOAD, PATHS } from './settings';

export type { OpenLoopOutput };

/** A run at a fixed rate and what it measured. */
export interface OpenLoopResult extends OpenLoopOutput {
  readonly tool: 'open-loop';
  readonly targetRps: number;
  readonly cpuSeconds: number;
  readonly problems: string[];
}

/**
 * The generator gets a young generation large enough that its own
 * scavenges are rare (each one delays the requests due during it, and that
 * delay would count as latency).
 */
const GENERATOR_FLAGS = ['--max-semi-space-size=64'];

/**
 * Runs the open-loop generator (bench/loadgen) once: `seconds` at `rate`
 * after `warmupSeconds` at the same rate. gRPC goes over as many HTTP/2
 * connections as h2load opens, HTTP/1.1 over as many as wrk does.
 */
export async function openLoopRun(
  request: Omit<OpenLoopSpec, 'rate' | 'requests' | 'warmupRequests' | 'connections'>,
  rate: number,
  seconds: number,
  warmupSeconds: number,
  workDir: string,
): Promise<OpenLoopResult> {
  const spec: OpenLoopSpec = {
    ...request,
    rate,
    requests: Math.max(100, Math.round(rate * seconds)),
    warmupRequests: Math.round(rate * warmupSeconds),
    connections: request.protocol === 'grpc' ? Math.max(1, Math.round(LOAD.h2.clients / request.ports.length)) : LOAD.http.connections,
  };
  const specFile = path.join(workDir, `open-loop-${process.hrtime.bigint()}.json`);
  fs.writeFileSync(specFile, JSON.stringify(spec));
  const main = path.join(PATHS.root, 'dist', 'bench', 'loadgen', 'main.js');
  const run = await execTimed(process.execPath, [...GENERATOR_FLAGS, main, specFile], { timeoutSeconds: (seconds + warmupSeconds) * 3 + 60 });
  fs.rmSync(specFile, { force: true });
  const problems: string[] = [];
  let output: OpenLoopOutput | undefined;
  try {
    output = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as OpenLoopOutput;
  } catch {
    problems.push(`the open-loop generator exited ${run.code} without a result: ${run.stderr.trim().slice(-500)}`);
  }
  if (output) {
    if (output.errors > 0) problems.push(`${output.errors} calls failed, e.g. ${output.errorSamples.join(' | ')}`);
    if (output.timedOut) problems.push(`cut off by its time limit: ${output.done} of ${spec.requests} answered`);
    else if (output.done !== spec.requests) problems.push(`${spec.requests} requests scheduled, ${output.done} answered`);
  }
  const none: OpenLoopOutput = {
    sentInAll: 0, sent: 0, done: 0, errors: 0, errorSamples: [], seconds: 0, rps: 0, maxInFlight: 0, timedOut: false,
    p50Ms: NaN, p90Ms: NaN, p99Ms: NaN, p999Ms: NaN, maxMs: NaN, lagP99Ms: NaN, lagMaxMs: NaN,
  };
  return { ...(output ?? none), tool: 'open-loop', targetRps: rate, cpuSeconds: run.cpuSeconds, problems };
}
