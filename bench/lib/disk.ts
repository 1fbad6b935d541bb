import fs from 'node:fs';
import path from 'node:path';
import { quantile } from './quantile';

export interface FsyncProbe {
  readonly fsyncsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * How fast the disk under the data folders makes a write durable: 4 KiB
 * written and fsync'd in a loop for a while, as a WAL commit with
 * synchronous=FULL does. A durable Update can never be acknowledged faster
 * than one of these per group commit, so this bounds what the gRPC Update
 * rows can show.
 */
export function fsyncProbe(dir: string, seconds = 1): FsyncProbe {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 0x5a);
  const latencies: number[] = [];
  try {
    const end = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < end; i++) {
      fs.writeSync(fd, block, 0, block.length, (i % 64) * block.length);
      const started = performance.now();
      fs.fsyncSync(fd);
      latencies.push(performance.now() - started);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  latencies.sort((a, b) => a - b);
  return { fsyncsPerSecond: latencies.length / seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
}
