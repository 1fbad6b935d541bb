// Numbers and cells as every table of BENCHMARKS.md writes them.
import type { PathResult } from './measure';

export const num = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const ms = (n: number | undefined): string => num(n, n !== undefined && n < 10 ? 2 : 1);
export const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;
export const times = (r: number | undefined): string => (r === undefined ? '' : `${r.toFixed(2)}×`);

/** CPU used by other processes during a run above which its numbers are suspect (of 2 cores). */
export const DISTURBED_CORES = 0.15;
const disturbed = (p: PathResult): boolean =>
  p.max.cpu.other > DISTURBED_CORES || (p.half !== undefined && p.half.cpu.other > DISTURBED_CORES);

export const failedMark = (p: PathResult): string => (p.problems.length > 0 ? ' **(FAILED)**' : '');

/** Cores each serving process (or PostgreSQL) used in the maximum-throughput run; named when there are several. */
export const serverCpuCell = (p: PathResult): string =>
  Object.entries(p.max.cpu.servers)
    .map(([name, cores]) => (Object.keys(p.max.cpu.servers).length > 1 ? `${name} ${cores.toFixed(2)}` : cores.toFixed(2)))
    .join(' + ');

export const rssCell = (p: PathResult): string =>
  Object.entries(p.peakRssMb)
    .map(([name, mb]) => (Object.keys(p.peakRssMb).length > 1 ? `${name} ${num(mb)}` : num(mb)))
    .join(' + ');

/** Other load in the maximum and the half-load run, ⚠ when it was enough to disturb the numbers. */
export const otherLoadCell = (p: PathResult): string =>
  `${p.max.cpu.other.toFixed(2)}${p.half ? ` / ${p.half.cpu.other.toFixed(2)}` : ''}${disturbed(p) ? ' ⚠' : ''}`;
