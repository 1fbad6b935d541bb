import { grpc } from '@improbable-eng/grpc-web';
import { AdminServiceClientImpl, GrpcWebImpl, type UpdateOIDCSettingsRequest } from '../../gen/client/zitadel/admin';
import type { ObjectDetails } from '../../gen/client/zitadel/object';
import type { OIDCSettings } from '../../gen/client/zitadel/settings';

/** The four lifetimes, as Add and Update take them. */
export type Lifetimes = UpdateOIDCSettingsRequest;

/** The three calls the page makes, bound to one API origin and one token. */
export interface SettingsApi {
  get(): Promise<OIDCSettings>;
  update(lifetimes: Lifetimes): Promise<ObjectDetails | undefined>;
  add(lifetimes: Lifetimes): Promise<ObjectDetails | undefined>;
}

/**
 * Uses the generated gRPC-Web client and improbable-eng's default browser
 * transport (fetch). The token travels only in the authorization header.
 */
export function settingsApi(baseUrl: string, token: string): SettingsApi {
  const client = new AdminServiceClientImpl(new GrpcWebImpl(baseUrl, {}));
  const metadata = () => new grpc.Metadata({ authorization: `Bearer ${token}` });
  return {
    async get() {
      const { settings } = await client.GetOIDCSettings({}, metadata());
      if (!settings) throw new Error('GetOIDCSettings answered without settings');
      return settings;
    },
    async update(lifetimes) {
      return (await client.UpdateOIDCSettings(lifetimes, metadata())).details;
    },
    async add(lifetimes) {
      return (await client.AddOIDCSettings(lifetimes, metadata())).details;
    },
  };
}
