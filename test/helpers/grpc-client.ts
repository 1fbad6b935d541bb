import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type DecodedDetails, decodeStatusDetails } from './status-details';

/**
 * A grpc-js client built from proto/ with proto-loader, as another Node
 * service would build one: durations and details as plain objects, 64-bit
 * integers as strings.
 */
const definition = loadSync('zitadel/admin.proto', {
  includeDirs: [path.join(__dirname, '../../proto')],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const AdminService = (
  grpc.loadPackageDefinition(definition) as unknown as {
    zitadel: { admin: { v1: { AdminService: grpc.ServiceClientConstructor } } };
  }
).zitadel.admin.v1.AdminService;

export interface ProtoDuration {
  seconds: string | number;
  nanos?: number;
}

export interface Lifetimes {
  accessTokenLifetime?: ProtoDuration;
  idTokenLifetime?: ProtoDuration;
  refreshTokenIdleExpiration?: ProtoDuration;
  refreshTokenExpiration?: ProtoDuration;
}

export interface ObjectDetails {
  sequence: string;
  creationDate?: { seconds: string; nanos: number };
  changeDate?: { seconds: string; nanos: number };
  resourceOwner: string;
}

export type Outcome<T> =
  | { ok: true; response: T }
  | { ok: false; code: number; message: string; details: DecodedDetails | undefined };

export type AdminClient = grpc.Client & Record<string, grpc.MethodDefinition<unknown, unknown>>;

export function adminClient(port: number): grpc.Client {
  return new AdminService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** Calls a method and turns the answer, OK or not, into a value to assert on. */
export function call<T>(
  client: grpc.Client,
  method: 'GetOIDCSettings' | 'AddOIDCSettings' | 'UpdateOIDCSettings',
  request: object,
  token?: string,
): Promise<Outcome<T>> {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  const fn = (client as unknown as Record<string, grpc.requestCallback<T> & ((...args: unknown[]) => void)>)[method]!;
  return new Promise((resolve) => {
    fn.call(client, request, metadata, (error: grpc.ServiceError | null, response?: T) => {
      if (!error) {
        resolve({ ok: true, response: response! });
        return;
      }
      const bin = error.metadata?.get('grpc-status-details-bin')[0];
      resolve({
        ok: false,
        code: error.code,
        message: error.details,
        details: bin instanceof Buffer ? decodeStatusDetails(bin) : undefined,
      });
    });
  });
}

export const seconds = (s: number | string, nanos = 0): ProtoDuration => ({ seconds: String(s), nanos });

export function lifetimes(a: number, b: number, c: number, d: number): Required<Lifetimes> {
  return {
    accessTokenLifetime: seconds(a),
    idTokenLifetime: seconds(b),
    refreshTokenIdleExpiration: seconds(c),
    refreshTokenExpiration: seconds(d),
  };
}
