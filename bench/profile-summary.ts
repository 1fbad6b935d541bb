/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function
 * (name + file:line) and per package, as shares of the time the process was
 * busy (idle samples left out).
 *
 * node dist/bench/profile-summary.js bench/out/profiles/grpc-update.cpuprofile [top]
 */
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../src/paths';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  /** Share of busy time, percent. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  readonly top: SelfTime[];
  /** The project's own functions (src/, gateway/) by inclusive time: themselves and all they call. */
  readonly ownInclusive: SelfTime[];
  readonly byPackage: Array<{ readonly name: string; readonly ms: number; readonly percent: number }>;
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** A file URL as a short path: node_modules/<pkg>/..., dist/src/..., node:internal/... */
function shortWhere(url: string): string {
  if (url === '') return '';
  let file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) return file.slice(modules + 1);
  if (file.startsWith(PROJECT_ROOT)) file = path.relative(PROJECT_ROOT, file);
  return file;
}

const sourceMaps = new Map<string, SourceMap | undefined>();

/**
 * file:line of a frame; for the project's compiled files (dist/), the
 * TypeScript source and line, through the .js.map tsc wrote beside them.
 */
function frameWhere(frame: CallFrame): string {
  if (frame.url === '') return '';
  const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (file.startsWith(path.join(PROJECT_ROOT, 'dist') + path.sep)) {
    if (!sourceMaps.has(file)) {
      let map: SourceMap | undefined;
      try {
        map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        map = undefined;
      }
      sourceMaps.set(file, map);
    }
    // findEntry answers {} where the map has nothing.
    const entry: { originalSource?: string; originalLine?: number } | undefined = sourceMaps
      .get(file)
      ?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
      const source = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : path.resolve(path.dirname(file), entry.originalSource);
      return `${path.relative(PROJECT_ROOT, source)}:${entry.originalLine + 1}`;
    }
  }
  return `${shortWhere(frame.url)}:${frame.lineNumber + 1}`;
}

/** A frame's function name; a module's own top-level code (run once, at start-up) is named so. */
function functionName(frame: CallFrame): string {
  if (frame.functionName !== '') return frame.functionName;
  return frame.lineNumber === 0 && frame.columnNumber === 0 && frame.url !== '' ? '(module top level: start-up)' : '(anonymous)';
}

/** Which package or layer a frame belongs to, for the coarse breakdown. */
function packageOf(frame: CallFrame): string {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  const where = shortWhere(frame.url);
  if (where === '') return '(native / V8 builtins)';
  if (where.startsWith('node:')) return 'node: core (' + where.replace(/^node:(internal\/)?/, '').split('/')[0]! + ')';
  const modules = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (modules) return modules[1]!;
  const ours = /^dist\/(src|gateway|gen|bench)\/([^/]+)/.exec(where);
  if (ours) return `${ours[1]}/${ours[2]!.replace(/\.js$/, '')}`;
  return where;
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfMs = new Map<number, number>();
  // Sample i lasts until sample i+1 (V8 records the delta before each sample).
  for (let i = 0; i < profile.samples.length; i++) {
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + Math.max(0, micros) / 1000);
  }
  const byFunction = new Map<string, { name: string; where: string; ms: number }>();
  const byPackage = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const frame = frames.get(id)!;
    totalMs += ms;
    if (frame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const where = frameWhere(frame);
    const name = functionName(frame);
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, ms: 0 };
    entry.ms += ms;
    byFunction.set(key, entry);
    const pkg = packageOf(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const percent = (ms: number) => (busyMs > 0 ? (100 * ms) / busyMs : 0);

  // Inclusive time of the project's functions: each node's subtree, counted
  // once per function even when it recurses (an ancestor with the same key wins).
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const isOwn = (frame: CallFrame) => /\/dist\/(src|gateway)\//.test(frame.url);
  const keyOf = (frame: CallFrame) => `${functionName(frame)} ${frameWhere(frame)}`;
  const inclusive = new Map<string, { name: string; where: string; ms: number }>();
  const walk = (id: number, open: Set<string>): number => {
    const node = nodes.get(id)!;
    const key = isOwn(node.callFrame) ? keyOf(node.callFrame) : undefined;
    const counted = key !== undefined && !open.has(key);
    if (counted) open.add(key);
    let ms = selfMs.get(id) ?? 0;
    for (const child of node.children ?? []) ms += walk(child, open);
    if (counted) {
      open.delete(key);
      const entry = inclusive.get(key) ?? { name: functionName(node.callFrame), where: frameWhere(node.callFrame), ms: 0 };
      entry.ms += ms;
      inclusive.set(key, entry);
    }
    return ms;
  };
  const root = profile.nodes[0];
  if (root) walk(root.id, new Set());

  return {
    file,
    totalMs,
    idleMs,
    busyMs,
    top: [...byFunction.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({ ...e, percent: percent(e.ms) })),
    ownInclusive: [...inclusive.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({ ...e, percent: percent(e.ms) })),
    byPackage: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => ({ name, ms, percent: percent(ms) })),
  };
}

/** The summary as Markdown tables. */
export function profileMarkdown(summary: ProfileSummary, packages = 12): string {
  const lines = [
    `Busy ${(summary.busyMs / 1000).toFixed(2)} s of ${(summary.totalMs / 1000).toFixed(2)} s profiled (idle ${(summary.idleMs / 1000).toFixed(2)} s left out of the shares).`,
    '',
    '| # | self % of busy | self ms | function | where |',
    '|---:|---:|---:|---|---|',
    ...summary.top.map(
      (e, i) => `| ${i + 1} | ${e.percent.toFixed(1)} | ${e.ms.toFixed(0)} | \`${e.name}\` | ${e.where === '' ? '(native)' : `\`${e.where}\``} |`,
    ),
    '',
    'The project\'s own functions by inclusive time (the function and everything it calls, synchronously):',
    '',
    '| # | total % of busy | total ms | function | where |',
    '|---:|---:|---:|---|---|',
    ...summary.ownInclusive.map((e, i) => `| ${i + 1} | ${e.percent.toFixed(1)} | ${e.ms.toFixed(0)} | \`${e.name}\` | \`${e.where}\` |`),
    '',
    '| package / layer | self % of busy | self ms |',
    '|---|---:|---:|',
    ...summary.byPackage.slice(0, packages).map((p) => `| ${p.name} | ${p.percent.toFixed(1)} | ${p.ms.toFixed(0)} |`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  console.log(profileMarkdown(summariseProfile(file, Number(process.argv[3] ?? 15))));
}
