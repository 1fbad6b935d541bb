import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { GetOIDCSettingsResponseSchema, UpdateOIDCSettingsRequestSchema } from '../../gen/es/zitadel/admin_pb';
import { VALUE_BLOCK } from './bodies';
import { quantile } from './quantile';
import { METHODS } from './settings';

export interface Spread {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ReadAfterWriteResult {
  readonly id: string;
  readonly label: string;
  /** Update-then-Get pairs timed, after `warmUpTrials` untimed ones. */
  readonly trials: number;
  readonly warmUpTrials: number;
  readonly seconds: number;
  readonly update: Spread;
  readonly get: Spread;
  /** The Update and the Get after it, end to end. */
  readonly pair: Spread;
  readonly problems: string[];
}

export interface ReadAfterWriteSpec {
  readonly id: string;
  readonly label: string;
  /** The server the Updates go to, and the one the Gets go to (the same one, or another replica). */
  readonly writePort: number;
  readonly readPort: number;
  readonly token: string;
  /** First access token lifetime sent (a block of values of its own, see bodies.ts). */
  readonly firstValue: number;
  readonly seconds: number;
}

const WARM_UP_TRIALS = 50;

/**
 * One grpc-js client, one call at a time: an Update on one server, then a
 * Get on the other, which must answer the value just written. Each Update
 * writes an access token lifetime never sent before, so a Get that answers
 * anything else read a state older than a write acknowledged to the same
 * client. Times each call and the pair; unloaded latency, not throughput.
 */
export async function readAfterWrite(spec: ReadAfterWriteSpec): Promise<ReadAfterWriteResult> {
  const writer = new grpc.Client(`127.0.0.1:${spec.writePort}`, grpc.credentials.createInsecure());
  const reader = spec.readPort === spec.writePort ? writer : new grpc.Client(`127.0.0.1:${spec.readPort}`, grpc.credentials.createInsecure());
  const unary = (client: grpc.Client, method: string, message: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${spec.token}`);
      client.makeUnaryRequest(method, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, message, metadata, { deadline: Date.now() + 10_000 }, (error, response) =>
        error ? reject(new Error(`${method}: ${grpc.status[error.code]} ${error.details}`)) : resolve(response!),
      );
    });
  const update = (access: number) =>
    toBinary(
      UpdateOIDCSettingsRequestSchema,
      create(UpdateOIDCSettingsRequestSchema, {
        accessTokenLifetime: { seconds: BigInt(access) },
        idTokenLifetime: { seconds: 43_200n },
        refreshTokenIdleExpiration: { seconds: 2_592_000n },
        refreshTokenExpiration: { seconds: 7_776_000n },
      }),
    );

  const updates: number[] = [];
  const gets: number[] = [];
  const pairs: number[] = [];
  const problems: string[] = [];
  let stale = 0;
  let failed = 0;
  const deadline = performance.now() + spec.seconds * 1000;
  try {
    for (let i = 0; i < VALUE_BLOCK; i++) {
      const timed = i >= WARM_UP_TRIALS;
      if (timed && performance.now() >= deadline) break;
      const value = spec.firstValue + i;
      try {
        const started = performance.now();
        await unary(writer, METHODS.update, update(value));
        const written = performance.now();
        const answer = fromBinary(GetOIDCSettingsResponseSchema, await unary(reader, METHODS.get, new Uint8Array(0)));
        const read = performance.now();
        const seen = answer.settings?.accessTokenLifetime?.seconds;
        if (seen !== BigInt(value)) {
          stale++;
          if (stale <= 3) problems.push(`trial ${i}: wrote an access token lifetime of ${value} s, the Get answered ${seen ?? 'none'}`);
        }
        if (timed) {
          updates.push(written - started);
          gets.push(read - written);
          pairs.push(read - started);
        }
      } catch (error) {
        failed++;
        if (failed <= 3) problems.push(`trial ${i}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    writer.close();
    reader.close();
  }
  if (stale > 0) problems.push(`${stale} Gets did not see the Update acknowledged just before them`);
  if (failed > 0) problems.push(`${failed} calls failed`);
  return {
    id: spec.id,
    label: spec.label,
    trials: pairs.length,
    warmUpTrials: WARM_UP_TRIALS,
    seconds: spec.seconds,
    update: spread(updates),
    get: spread(gets),
    pair: spread(pairs),
    problems,
  };
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}
