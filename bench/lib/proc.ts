import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * What the bench reads about processes from Linux's /proc: peak resident
 * memory of the servers under load, and how much CPU went where during a run
 * (the machine may be shared; CPU used by processes that are not part of the
 * run is reported beside each result).
 */

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A field of /proc/<pid>/status in kB, e.g. VmRSS, VmHWM. */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of /proc/<pid>/stat after the command name (from field 3, state), or undefined once it is gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after it are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a live process has used. */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : 0;
}

/**
 * CPU seconds used by a process and its children, alive or ended: its own
 * time, the time of the children it has reaped (cutime + cstime, proc(5)),
 * and that of its live children. For a server that forks a process per
 * connection (PostgreSQL's postmaster), whose children come and go.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  const root = statFields(rootPid);
  if (!root) return 0;
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields && Number(fields[1]) === rootPid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS;
}

/** CPU seconds all cores spent busy since boot (everything but idle and iowait). */
function machineBusySeconds(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = ticks.reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  return busy / CLOCK_TICKS;
}

/**
 * Peak RSS of some processes over a window. The kernel's high-water mark
 * (VmHWM) is reset at the start (writing 5 to /proc/<pid>/clear_refs), so it
 * is the exact peak of the window; VmRSS is also sampled every 50 ms in
 * case the reset is not permitted.
 */
export class RssWatch {
  private readonly sampled = new Map<string, number>();
  private readonly resetOk = new Map<string, boolean>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: Readonly<Record<string, number>>) {
    for (const [name, pid] of Object.entries(pids)) {
      let ok = true;
      try {
        fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        ok = false;
      }
      this.resetOk.set(name, ok);
      this.sampled.set(name, statusKb(pid, 'VmRSS') ?? 0);
    }
    this.timer = setInterval(() => this.sample(), 50);
  }

  /** Peak RSS in MB per process name. */
  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    const peaks: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const hwm = this.resetOk.get(name) ? statusKb(pid, 'VmHWM') ?? 0 : 0;
      peaks[name] = Math.max(hwm, this.sampled.get(name) ?? 0) / 1024;
    }
    return peaks;
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = statusKb(pid, 'VmRSS');
      if (rss !== undefined && rss > (this.sampled.get(name) ?? 0)) this.sampled.set(name, rss);
    }
  }
}

export interface CpuUse {
  /** Average cores used by each watched server process. */
  readonly servers: Record<string, number>;
  /** Average cores used by the load generator. */
  readonly loadGenerator: number;
  /** Average cores used by everything else on the machine (other users' work, this orchestrator excluded). */
  readonly other: number;
}

/** CPU accounting over a window: the watched servers, the load generator, and the rest of the machine. */
export class CpuWindow {
  private readonly started = performance.now();
  private readonly busy = machineBusySeconds();
  private readonly self = process.cpuUsage();
  private readonly servers: Map<string, { read: () => number; cpu: number }>;

  /** `more`: serving work that is not one process, as a reading of its CPU seconds so far. */
  constructor(pids: Readonly<Record<string, number>>, more: Readonly<Record<string, () => number>> = {}) {
    const readers = [
      ...Object.entries(pids).map(([name, pid]) => [name, () => processCpuSeconds(pid)] as const),
      ...Object.entries(more),
    ];
    this.servers = new Map(readers.map(([name, read]) => [name, { read, cpu: read() }]));
  }

  /** `loadGeneratorSeconds`: the CPU seconds the load generator used, from its rusage. */
  stop(loadGeneratorSeconds: number): CpuUse {
    const seconds = (performance.now() - this.started) / 1000;
    const self = process.cpuUsage(this.self);
    let accounted = loadGeneratorSeconds + (self.user + self.system) / 1e6;
    const servers: Record<string, number> = {};
    for (const [name, { read, cpu }] of this.servers) {
      const used = read() - cpu;
      servers[name] = used / seconds;
      accounted += used;
    }
    const other = Math.max(0, machineBusySeconds() - this.busy - accounted);
    return { servers, loadGenerator: loadGeneratorSeconds / seconds, other: other / seconds };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What all the waits for a quiet machine may add up to in one bench run. */
let quietBudgetMs = 6 * 60_000;

/**
 * Waits (up to `maxWaitMs`) until the rest of the machine is nearly idle:
 * CPU busy time, less this process's own, below `thresholdCores` over a
 * `windowMs` window. On a shared 2-core machine one busy neighbour halves
 * what a server can do, so each measured run starts on a quiet machine when
 * it can. Returns how long it waited and how busy the machine was last.
 */
export async function waitForQuiet(
  onWait: (busyCores: number) => void,
  options: { maxWaitMs?: number; thresholdCores?: number; windowMs?: number } = {},
): Promise<{ waitedMs: number; busyCores: number }> {
  const { thresholdCores = 0.15, windowMs = 300 } = options;
  // A bench on a machine that never quietens still ends: the waits share a budget.
  const maxWaitMs = Math.min(options.maxWaitMs ?? 30_000, Math.max(windowMs, quietBudgetMs));
  const started = performance.now();
  let told = false;
  for (;;) {
    const busy = machineBusySeconds();
    const self = process.cpuUsage();
    await sleep(windowMs);
    const own = process.cpuUsage(self);
    const busyCores = (machineBusySeconds() - busy - (own.user + own.system) / 1e6) / (windowMs / 1000);
    const waitedMs = performance.now() - started;
    if (busyCores <= thresholdCores || waitedMs >= maxWaitMs) {
      quietBudgetMs -= Math.max(0, waitedMs - windowMs);
      return { waitedMs, busyCores };
    }
    if (!told) onWait(busyCores);
    told = true;
  }
}
