import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PATHS } from './settings';
import { toolVersions } from './tools';

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly kernel: string;
  readonly node: string;
  readonly tools: Record<string, string>;
  readonly packages: Record<string, string>;
  readonly commit: string;
  readonly loadAverageAtStart: number[];
}

const PACKAGES = [
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  '@bufbuild/protobuf',
  '@connectrpc/connect',
  '@connectrpc/connect-node',
  'better-sqlite3',
  'pino',
  'typescript',
];

/** Installed version of a package, read from its package.json (some do not export it). */
function packageVersion(name: string): string {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(PATHS.root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return json.version ?? '?';
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PATHS.root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'gateway', 'gen'], { cwd: PATHS.root, encoding: 'utf8' }).trim();
    return dirty === '' ? head : `${head} + uncommitted changes in src/gateway/gen`;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    date: new Date().toISOString(),
    cpu: model.trim(),
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    tools: toolVersions(),
    packages: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(name)])),
    commit: gitCommit(),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
