import type { PathResult } from './measure';
import type { PostgresInfo } from './postgres';
import type { ReadAfterWriteResult } from './read-after-write';
import { failedMark, ms, num, otherLoadCell, ratio, serverCpuCell, times } from './report-format';
import type { BENCH, LOAD } from './settings';

/** What bench/postgres-section.ts measured. */
export interface PostgresResults {
  /** When and on which commit (the section may run alone, after the rest of the report). */
  readonly date: string;
  readonly commit: string;
  /** The knobs it ran with (they may differ from the rest of the report's when it ran alone). */
  readonly settings: { readonly bench: typeof BENCH; readonly load: typeof LOAD };
  readonly server: PostgresInfo;
  /** Connections the two replicas' pools held on the server after their load. */
  readonly connectionsHeld: number;
  /** The SQLite reference ('sqlite-*'), 1 replica ('pg1-*') and 2 replicas ('pg2-*'): gRPC Update and Get. */
  readonly paths: PathResult[];
  readonly readAfterWrite: ReadAfterWriteResult[];
  readonly problems: string[];
  readonly durationSeconds: number;
}

/** The store's counters over a path's maximum-throughput (or paced) run, and what follows from them. */
function commits(p: PathResult | undefined, run: 'max' | 'half' = 'max') {
  const c = p?.counters?.[run];
  if (!c) return undefined;
  const n = (name: string) => c[name] ?? NaN;
  return {
    updates: n('events'),
    commits: n('commits'),
    writesPerCommit: n('writes') / n('commits'),
    meanCommitMs: (n('commitSeconds') / n('commits')) * 1000,
    conflicts: n('conflicts'),
    conflictsPerUpdate: n('conflicts') / n('events'),
    /** Of all commit attempts, the share refused (each refusal is followed by a reload and another attempt). */
    refusedShare: n('conflicts') / (n('commits') + n('conflicts')),
    /** Statements PostgreSQL logged as failed (absent before the bench counted them). */
    serverLogErrors: c['serverLogErrors'],
    serverLogKb: c['serverLogBytes'] === undefined ? undefined : c['serverLogBytes'] / 1024,
  };
}

const percent = (share: number) => (Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : 'n/a');
const spread = (s: { p50Ms: number; p99Ms: number }) => `${ms(s.p50Ms)} / ${ms(s.p99Ms)}`;

/** The PostgreSQL section of BENCHMARKS.md. `main`: the date and commit of the rest of the report. */
export function postgresMarkdown(pg: PostgresResults, main: { readonly date: string; readonly commit: string }): string[] {
  const byId = new Map(pg.paths.map((p) => [p.id, p]));
  const rps = (id: string) => byId.get(id)?.max.rps;
  const sqliteOf = (p: PathResult) => p.id.replace(/^pg\d+-/, 'sqlite-');
  const loop = (tag: string) => pg.readAfterWrite.find((l) => l.id === `${tag}-read-after-write`);
  const [sqliteCommits, oneCommits, twoCommits] = ['sqlite', 'pg1', 'pg2'].map((tag) => commits(byId.get(`${tag}-grpc-update`)));
  const twoHalf = commits(byId.get('pg2-grpc-update'), 'half');
  const settings = Object.entries(pg.server.settings).map(([name, value]) => `${name}=${value}`).join(', ');
  const separately = pg.date.slice(0, 10) !== main.date.slice(0, 10) || pg.commit !== main.commit;
  const s = pg.settings.bench;
  const h2 = pg.settings.load.h2;
  const failed = [...pg.paths.filter((p) => p.problems.length > 0).map((p) => p.label), ...pg.readAfterWrite.filter((l) => l.problems.length > 0).map((l) => l.label)];

  const lines = [
    '## PostgreSQL: replicas sharing one database (indicative)',
    '',
    `Measured ${pg.date} on commit ${pg.commit}${separately ? ' (on its own, `BENCH_ONLY=postgres`: the rest of this report comes from the run above)' : ''}, in ${num(pg.durationSeconds)} s. ` +
      `PostgreSQL ${pg.server.version}, a throwaway cluster on this machine (initdb into a temporary folder on the same disk, 127.0.0.1): ${settings}. ` +
      `Each replica is the built server with DATABASE_URL and a data folder of its own; after the 2-replica runs their pools held ${num(pg.connectionsHeld)} connections.`,
    '',
    '**Indicative only.** On these 2 cores the PostgreSQL server, the replicas, the load generators and this orchestrator share one machine and take CPU from one another ' +
      '(the CPU column shows the split), and run-to-run differences of ±20 % or more are common here. Two replicas share the same two cores as one: a replica\'s event loop ' +
      'keeps at most about one core busy, so two can use more of the machine, but they compete with PostgreSQL and the load generators for it. ' +
      'So the 2-replica rows show what sharing one database costs, not how replicas scale; on separate machines a network round trip would lengthen every query, ' +
      'and each replica would have cores of its own.',
    '',
    `Each path: ${s.warmupSeconds} s warm-up, then the maximum-throughput run (${s.seconds} s${s.repeat > 1 ? `, best of ${s.repeat}` : ''}), then a run paced at half of that (${s.pacedSeconds} s). ` +
      `Same load and checks as the SQLite rows above: h2load with ${h2.clients} connections × ${h2.streams} streams in all; with 2 replicas one h2load per replica (${h2.clients / 2} connections × ${h2.streams} streams each) at the same time, ` +
      'req/s being the calls of both over the longer of the two runs and p50/p99 taken over the calls of both. Every Update carries a value never sent before, ' +
      'so each appends an event: the events appended to the PostgreSQL log must equal the calls answered. The SQLite rows here are the same build on SQLite, measured in this section for the ratios.',
    '',
    failed.length === 0 ? 'Every call was checked and answered OK; every Get of the read-after-write loops saw the Update before it.' : `**FAILED: ${failed.join('; ')}** — ${pg.problems.join(' — ')}`,
    '',
    '| path | req/s | p50 ms | p99 ms | CPU (cores) | × SQLite | at half max: req/s → p99 ms | other load (cores): max / half |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  let group = '';
  for (const p of pg.paths) {
    if (p.group !== group) {
      group = p.group;
      lines.push(`| **${group}** | | | | | | | |`);
    }
    const sqlite = p.id.startsWith('sqlite-') ? '' : times(ratio(p.max.rps, rps(sqliteOf(p))));
    const half = p.half ? `${num(p.half.rps)} → ${ms(p.half.p99Ms)}` : '';
    lines.push(`| ${p.label}${failedMark(p)} | ${num(p.max.rps)} | ${ms(p.max.p50Ms)} | ${ms(p.max.p99Ms)} | ${serverCpuCell(p)} | ${sqlite} | ${half} | ${otherLoadCell(p)} |`);
  }

  lines.push(
    '',
    '**Commits** in each Update path\'s maximum-throughput run and in its run paced at half of that, from the servers\' `/metrics` (summed over the replicas): ' +
      'commits that succeeded (`oidc_settings_store_commit_duration_seconds_count`), the writes they carried, their mean duration, ' +
      'and the commits refused because the other replica had appended first (`oidc_settings_store_commit_conflicts_total`), whose writes were decided again.',
    '',
    '| path | run | Updates | commits | writes per commit | mean commit ms | conflicts | conflicts per Update | refused, of all commit attempts |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const p of pg.paths.filter((path) => path.counters)) {
    for (const run of ['max', 'half'] as const) {
      const c = commits(p, run);
      if (!c) continue;
      const cells = [num(c.updates), num(c.commits), num(c.writesPerCommit, 1), ms(c.meanCommitMs), num(c.conflicts), num(c.conflictsPerUpdate, 3), percent(c.refusedShare)];
      lines.push(`| ${p.label} | ${run === 'max' ? 'maximum' : 'half'} | ${cells.join(' | ')} |`);
    }
  }

  lines.push(
    '',
    `**Read after write.** One grpc-js client, one call at a time (no other load): an Update, then a Get that must answer the value just written; ` +
      `${num(pg.readAfterWrite[0]?.seconds)} s of such pairs per row after ${num(pg.readAfterWrite[0]?.warmUpTrials)} untimed ones. With 2 replicas the Update goes to one and the Get to the other.`,
    '',
    '| loop | pairs | Update p50 / p99 ms | then Get p50 / p99 ms | the pair p50 / p99 ms |',
    '|---|---:|---:|---:|---:|',
    ...pg.readAfterWrite.map((l) => `| ${l.label}${l.problems.length > 0 ? ' **(FAILED)**' : ''} | ${num(l.trials)} | ${spread(l.update)} | ${spread(l.get)} | ${spread(l.pair)} |`),
  );

  const getRatio = times(ratio(rps('pg1-grpc-get'), rps('sqlite-grpc-get')));
  const updateRatio = times(ratio(rps('pg1-grpc-update'), rps('sqlite-grpc-update')));
  const [sqliteLoop, oneLoop, twoLoop] = [loop('sqlite'), loop('pg1'), loop('pg2')];
  lines.push(
    '',
    '**What costs what.**',
    '',
    '- **A durable Update.** On SQLite the server commits in its own process: one transaction and one fsync per group commit, ' +
      `${ms(sqliteCommits?.meanCommitMs)} ms on average for ${num(sqliteCommits?.writesPerCommit, 1)} writes here. ` +
      'On PostgreSQL a group commit is one statement sent to the database, which flushes its write-ahead log to disk (fsync, synchronous_commit=on) before it answers; ' +
      'a replica keeps one commit in flight, and the Updates that arrive meanwhile form the next batch: ' +
      `${ms(oneCommits?.meanCommitMs)} ms on average for ${num(oneCommits?.writesPerCommit, 1)} writes with 1 replica. ` +
      `Update throughput with 1 replica: ${updateRatio} the SQLite server's; unloaded, an Update took ${ms(oneLoop?.update.p50Ms)} ms at the median against ${ms(sqliteLoop?.update.p50Ms)} ms on SQLite.`,
    '- **A Get: the cross-replica read-after-write check.** On SQLite a Get is answered from memory (the encoded answer is kept until a commit replaces it). ' +
      'On PostgreSQL, so that a Get never misses a write another replica acknowledged before it began, each turn of the event loop in which Gets arrived sends one query ' +
      '(the log\'s last sequence and the settings, one statement) and answers all of them when it returns: one round trip per turn, plus the database\'s CPU for it. ' +
      `Get throughput with 1 replica: ${getRatio} the SQLite server's under the same load; unloaded, a Get took ${ms(oneLoop?.get.p50Ms)} ms at the median ` +
      `(${ms(twoLoop?.get.p50Ms)} ms on the other replica, right after an Update there) against ${ms(sqliteLoop?.get.p50Ms)} ms on SQLite.`,
    '- **Conflicts between replicas.** Both replicas append to one log. A commit appends only if the log still ends at the sequence its batch was decided on ' +
      '(the (instance, sequence) primary key behind it); the replica that lost writes nothing, reloads the state (one more query) and decides its batch again. ' +
      `With 2 replicas at maximum throughput: ${num(twoCommits?.conflicts)} conflicts for ${num(twoCommits?.updates)} Updates (${num(twoCommits?.conflictsPerUpdate, 3)} per Update, ` +
      `${percent(twoCommits?.refusedShare ?? NaN)} of all commit attempts refused), ${num(twoCommits?.writesPerCommit, 1)} writes per commit, ${ms(twoCommits?.meanCommitMs)} ms per commit on average; ` +
      `at half that load ${num(twoHalf?.conflictsPerUpdate, 3)} per Update (${percent(twoHalf?.refusedShare ?? NaN)} of attempts) with ${num(twoHalf?.writesPerCommit, 1)} writes per commit. ` +
      'Per Update the rate looks small because a batch carries many writes; per commit it is not: a replica decides its next batch on the last state it knows, ' +
      'and whenever the other replica committed since, that state is stale. A lighter load makes smaller batches and so more commits per Update, each a chance to find the log moved. ' +
      'A refused commit costs the attempt itself (when both replicas insert the same sequence, the later one waits for the earlier one\'s commit and then fails on the primary key, ' +
      'which PostgreSQL logs as an ERROR with the statement), one query to reload, and the batch\'s wait' +
      (twoCommits?.serverLogErrors === undefined
        ? '.'
        : `: in that run ${num(twoCommits.serverLogErrors)} of the ${num(twoCommits.conflicts)} conflicts failed on the primary key, and PostgreSQL's log grew by ${num(twoCommits.serverLogKb)} KB.`),
    '',
  );
  return lines;
}
