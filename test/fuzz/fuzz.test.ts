/**
 * Malformed input on every protocol, against the built server as a child
 * process (so a crash shows as an exit): raw HTTP/2 on the gRPC port,
 * gRPC-Web (binary and text), Connect (POST and GET, proto and JSON) and
 * REST on the HTTP port. Whatever comes in:
 * the process stays up, no 5xx, no INTERNAL / UNKNOWN / UNAVAILABLE, no hang
 * (each request has its own deadline; a valid Get answers at the end), no
 * stack trace or file path in any answer, and the settings change only by
 * acknowledged writes.
 *
 * Seeded and bounded: FUZZ_SEED (default 1; "random" picks one; printed on
 * failure), FUZZ_CASES per protocol (default 3000), FUZZ_CASE=grpc#57 to
 * rerun one case and print its request and answer, FUZZ_VERBOSE=1 to print
 * what each protocol's cases were answered, FUZZ_DEBUG="400/3" to print the
 * first cases answered so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { adminClient, call, lifetimes, type ObjectDetails, type ProtoDuration } from '../helpers/grpc-client';
import { type ChildServer, startChildServer } from '../helpers/child-server';
import { tempDir } from '../helpers/server';
import { readEvents } from '../helpers/write-load';
import { type CaseContext, type FuzzCase, type Transport, fuzzCase } from './cases';
import { type Ack, type Problem, ackOf, answerProblems, unknownOutcomeOf } from './checks';
import { LIFETIME_FIELDS } from './messages';
import { type Answer, H2Connection, h1Send } from './wire';

// A fixed seed by default, so the suite is deterministic; FUZZ_SEED=random explores.
const SEED = process.env['FUZZ_SEED'] === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['FUZZ_SEED'] ?? 1);
const CASES = Number(process.env['FUZZ_CASES'] ?? 3000);
const ONLY = process.env['FUZZ_CASE'];
/** Per request: far beyond any answer the server gives a well-behaved client. */
const REQUEST_TIMEOUT_MS = 5000;
const CONCURRENCY = 8;
const GRPC_MAX_BYTES = 16384;
const HTTP_MAX_BYTES = 65536;

type Settings = { details: ObjectDetails } & Record<(typeof LIFETIME_FIELDS)[number], ProtoDuration>;

interface Failure {
  readonly c: FuzzCase;
  readonly problem: Problem;
}

let server: ChildServer;
let dataDir: string;
let httpPort: number;
let token: string;
let stderr = '';

async function getSettings(): Promise<Settings> {
  const client = adminClient(server.port);
  try {
    const got = await call<{ settings: Settings }>(client, 'GetOIDCSettings', {}, token);
    if (!got.ok) throw new Error(`valid Get failed: ${got.code} ${got.message}`);
    return got.response.settings;
  } finally {
    client.close();
  }
}

const alive = () => server.child.exitCode === null && server.child.signalCode === null;

function describeCase(c: FuzzCase): string {
  const body = c.body.length > 200 ? `${c.body.subarray(0, 200).toString('hex')}... (${c.body.length} bytes)` : c.body.toString('hex');
  const headers = c.headers.map(([n, v]) => `    ${n}: ${v.length > 120 ? `${v.slice(0, 120)}... (${v.length} chars)` : v}`);
  return [`  ${c.method} ${c.path.length > 200 ? `${c.path.slice(0, 200)}...` : c.path}`, ...headers.slice(0, 12), ...(headers.length > 12 ? [`    ... ${headers.length - 12} more headers`] : []), `  body (hex): ${body}`].join('\n');
}

function describeAnswer(answer: Answer): string {
  if (answer.kind !== 'answered') return `  answer: ${answer.kind}${'detail' in answer ? ` (${answer.detail})` : ''}`;
  return [
    `  answer: HTTP ${answer.status}`,
    ...[...answer.headers, ...answer.trailers].map(([n, v]) => `    ${n}: ${v.slice(0, 200)}`),
    `  body: ${JSON.stringify(answer.body.subarray(0, 300).toString('latin1'))}`,
  ].join('\n');
}

/** One failure per line and per kind of failure, with a command that reruns it. */
function report(transport: Transport, failures: readonly Failure[], extra: string[]): string {
  const groups = new Map<string, Failure[]>();
  // One group per check and kind of message (quoted values and numbers aside).
  const key = (f: Failure) => `${f.problem.check}: ${f.problem.detail.replace(/^[A-Za-z]+: /, '').replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 80)}`;
  for (const f of failures) groups.set(key(f), [...(groups.get(key(f)) ?? []), f]);
  const lines = [`FUZZ_SEED=${SEED} FUZZ_CASES=${CASES}: ${failures.length} failed ${transport} cases`, ...extra];
  for (const group of groups.values()) {
    const first = group[0]!;
    lines.push(
      `- ${first.problem.check}: ${group.length} cases, e.g. ${group.slice(0, 5).map((f) => `${f.c.id} ${f.c.method} ${f.c.path.slice(0, 60)} [${f.c.tags.join(' ')}]`).join('; ')}`,
      `  ${first.problem.detail.replace(/\s+/g, ' ').slice(0, 240)}`,
      `  rerun: FUZZ_SEED=${SEED} FUZZ_CASE=${first.c.id} npx jest test/fuzz`,
    );
  }
  return lines.join('\n');
}

beforeAll(async () => {
  dataDir = tempDir('oidc-settings-fuzz-');
  server = await startChildServer(dataDir, { GRPC_MAX_RECEIVE_BYTES: String(GRPC_MAX_BYTES), MAX_BODY_BYTES: String(HTTP_MAX_BYTES) });
  server.child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  httpPort = Number(String((await server.logLine((l) => l['msg'] === 'serving gRPC-Web, Connect and REST'))['address']).split(':').at(-1));
  token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
  // Settings to read and overwrite (a fresh data folder may have none).
  const client = adminClient(server.port);
  await call(client, 'AddOIDCSettings', lifetimes(3600, 3600, 86400, 604800), token);
  client.close();
});

afterAll(async () => {
  if (server && alive()) {
    // After all that, it still stops cleanly: nothing the fuzz left open holds the shutdown up.
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }
});

const ctx = (): CaseContext => ({ token, grpcMaxBytes: GRPC_MAX_BYTES, httpMaxBytes: HTTP_MAX_BYTES });

/** The first grpc-status of an answer (headers, trailers, the REST body's code, or a Connect error's code), '-' for none. */
function statusOf(answer: Extract<Answer, { kind: 'answered' }>): string {
  const field = [...answer.headers, ...answer.trailers].find(([n]) => n === 'grpc-status');
  if (field) return field[1];
  const connect = /^\{"code":"([a-z_]+)"/.exec(answer.body.toString('latin1'));
  if (connect) return connect[1]!;
  const trailer = /grpc-status:\s*(\d+)/.exec(answer.body.toString('latin1'));
  if (trailer) return trailer[1]!;
  const code = /^\{"code":(\d+)/.exec(answer.body.toString('latin1'));
  return code ? `code ${code[1]}` : '-';
}

type Lifetimes = NonNullable<Ack['lifetimes']>;

/** "9325514.968472739s" (proto3 JSON) as seconds and nanos. */
function durationOfJson(text: string): { seconds: bigint; nanos: number } {
  const [whole, fraction = ''] = text.replace(/s$/, '').split('.');
  const negative = whole!.startsWith('-');
  const nanos = Number(fraction.padEnd(9, '0'));
  return { seconds: BigInt(whole!), nanos: negative ? -nanos : nanos };
}

/** The lifetimes an event's payload says were written. */
function newLifetimesOf(payload: string): Lifetimes {
  const written = (JSON.parse(payload) as { new?: Record<string, string> }).new ?? {};
  const out: Lifetimes = {};
  for (const field of LIFETIME_FIELDS) if (written[field] !== undefined) out[field] = durationOfJson(written[field]);
  return out;
}

function lifetimesOfSettings(settings: Settings): Lifetimes {
  const out: Lifetimes = {};
  for (const field of LIFETIME_FIELDS) out[field] = { seconds: BigInt(settings[field].seconds), nanos: settings[field].nanos ?? 0 };
  return out;
}

function sameLifetimes(a: Lifetimes, b: Lifetimes): boolean {
  return LIFETIME_FIELDS.every((f) => String(a[f]?.seconds ?? 0) === String(b[f]?.seconds ?? 0) && (a[f]?.nanos ?? 0) === (b[f]?.nanos ?? 0));
}

async function send(c: FuzzCase, h2: H2Connection): Promise<Answer> {
  return c.transport === 'grpc' ? h2.send(c, REQUEST_TIMEOUT_MS) : h1Send(httpPort, c, REQUEST_TIMEOUT_MS);
}

if (ONLY) {
  it(`reruns ${ONLY} of FUZZ_SEED=${SEED}`, async () => {
    const [transport, index] = ONLY.split('#') as [Transport, string];
    const c = fuzzCase(SEED, transport, Number(index), ctx());
    const h2 = new H2Connection(server.port);
    const answer = await send(c, h2);
    h2.close();
    const problems = answerProblems(c, answer);
    const text = [`${c.id} [${c.tags.join(' ')}]`, describeCase(c), describeAnswer(answer), `  server alive: ${alive()}`, ...problems.map((p) => `  FAIL ${p.check}: ${p.detail}`)].join('\n');
    process.stdout.write(`${text}\n`);
    expect({ problems, alive: alive() }).toEqual({ problems: [], alive: true });
  });
} else {
  describe.each(['grpc', 'grpc-web', 'rest', 'connect'] as const)('fuzz %s', (transport) => {
    it(`${CASES} malformed cases: no crash, 5xx, INTERNAL/UNKNOWN/UNAVAILABLE, hang, leak or unacknowledged change`, async () => {
      const before = await getSettings();
      const failures: Failure[] = [];
      const acks: Ack[] = [];
      const maybes: Array<Omit<Ack, 'sequence'>> = [];
      const counts = { unsendable: 0, reset: 0 };
      const unsendable = new Map<string, number>();
      /** "HTTP status / grpc-status" (or the kind of non-answer) -> cases: what the fuzz reached. */
      const outcomes = new Map<string, number>();
      let next = 0;
      let exited: string | undefined;
      const worker = async () => {
        const h2 = new H2Connection(server.port);
        try {
          while (next < CASES && !exited) {
            const c = fuzzCase(SEED, transport, next++, ctx());
            const answer = await send(c, h2);
            if (answer.kind === 'unsendable') {
              counts.unsendable++;
              const reason = answer.detail.replace(/"[^"]*"/g, '"…"').slice(0, 100);
              unsendable.set(reason, (unsendable.get(reason) ?? 0) + 1);
            }
            if (answer.kind === 'reset') counts.reset++;
            const outcome = answer.kind === 'answered' ? `${answer.status}/${statusOf(answer)}` : `${answer.kind}${answer.kind === 'reset' ? `: ${answer.detail}` : ''}`;
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            if (process.env['FUZZ_DEBUG'] === outcome && (outcomes.get(outcome) ?? 0) < 6) process.stdout.write(`${c.id} [${c.tags.join(' ')}]\n${describeCase(c)}\n${describeAnswer(answer)}\n`);
            for (const problem of answerProblems(c, answer)) failures.push({ c, problem });
            const ack = ackOf(c, answer);
            if (ack) acks.push(ack);
            const maybe = unknownOutcomeOf(c, answer);
            if (maybe) maybes.push(maybe);
            if (!alive()) exited = `${c.id} [${c.tags.join(' ')}]: exit ${server.child.exitCode ?? server.child.signalCode}\n${describeCase(c)}\n${stderr}`;
          }
        } finally {
          h2.close();
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      if (exited) throw new Error(`FUZZ_SEED=${SEED}: the server exited after ${exited}`);

      // Every event written during the run is an acknowledged write (by its
      // sequence) or a write whose outcome its client could not know (by its
      // values); no acknowledged write is missing; and the settings are what
      // the last event wrote (WAL: readable while the server runs).
      const after = await getSettings();
      const extra = [
        `${acks.length} writes acknowledged, ${maybes.length} of unknown outcome, ${counts.reset} streams reset, ${counts.unsendable} cases the client could not send ${JSON.stringify([...unsendable])}`,
      ];
      const events = readEvents(dataDir).filter((e) => BigInt(e.sequence) > BigInt(before.details.sequence));
      const bySequence = new Map(events.map((e) => [BigInt(e.sequence), e]));
      for (const ack of acks) {
        const event = bySequence.get(ack.sequence);
        if (!event) extra.push(`${ack.id} was acknowledged with sequence ${ack.sequence}, which is not in the event log`);
        else if (ack.lifetimes && !sameLifetimes(ack.lifetimes, newLifetimesOf(event.payload))) {
          extra.push(`${ack.id} was acknowledged with sequence ${ack.sequence}, whose event holds other values: ${event.payload.slice(0, 200)}`);
        }
      }
      const acknowledged = new Set(acks.map((a) => a.sequence));
      const unexplained = events.filter(
        (e) => !acknowledged.has(BigInt(e.sequence)) && !maybes.some((m) => m.lifetimes && sameLifetimes(m.lifetimes, newLifetimesOf(e.payload))),
      );
      if (unexplained.length > 0) {
        extra.push(`${unexplained.length} events written without an acknowledged write, e.g. sequence ${unexplained[0]!.sequence}: ${unexplained[0]!.payload.slice(0, 200)}`);
      }
      const lastEvent = events.at(-1);
      if (String(after.details.sequence) !== String(lastEvent?.sequence ?? before.details.sequence)) {
        extra.push(`Get answers sequence ${after.details.sequence}, but the event log ends at ${lastEvent?.sequence ?? before.details.sequence}`);
      } else {
        const want = lastEvent ? newLifetimesOf(lastEvent.payload) : lifetimesOfSettings(before);
        if (!sameLifetimes(want, lifetimesOfSettings(after))) extra.push(`Get answers ${JSON.stringify(after)}, not what the last event wrote`);
      }
      extra.push(`outcomes (HTTP/grpc-status: cases): ${[...outcomes].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o}: ${n}`).join(', ')}`);
      if (process.env['FUZZ_VERBOSE']) process.stdout.write(`${transport}: ${extra.join('\n')}\n`);
      const ok = failures.length === 0 && extra.length === 2;
      expect(ok ? 'ok' : report(transport, failures, extra)).toBe('ok');
    }, 120_000);
  });
}
