import { create } from '@bufbuild/protobuf';
import { type Duration as ProtoDuration, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type ObjectDetails, ObjectDetailsSchema } from '../../gen/es/zitadel/object_pb';
import { type OIDCSettings, OIDCSettingsSchema } from '../../gen/es/zitadel/settings_pb';
import type { Duration } from '../domain/duration';
import type { Details, LifetimesInput, OidcSettings } from '../domain/oidc-settings';

/** Add and Update requests carry the same four fields. */
interface LifetimesMessage {
  accessTokenLifetime?: ProtoDuration | undefined;
  idTokenLifetime?: ProtoDuration | undefined;
  refreshTokenIdleExpiration?: ProtoDuration | undefined;
  refreshTokenExpiration?: ProtoDuration | undefined;
}

const durationIn = (d: ProtoDuration | undefined): Duration | undefined =>
  d && { seconds: d.seconds, nanos: d.nanos };

const durationOut = (d: Duration) => ({ seconds: d.seconds, nanos: d.nanos });

export function lifetimesFromRequest(request: LifetimesMessage): LifetimesInput {
  return {
    accessTokenLifetime: durationIn(request.accessTokenLifetime),
    idTokenLifetime: durationIn(request.idTokenLifetime),
    refreshTokenIdleExpiration: durationIn(request.refreshTokenIdleExpiration),
    refreshTokenExpiration: durationIn(request.refreshTokenExpiration),
  };
}

export function detailsToProto(details: Details): ObjectDetails {
  return create(ObjectDetailsSchema, {
    sequence: details.sequence,
    creationDate: timestampFromMs(details.creationDate),
    changeDate: timestampFromMs(details.changeDate),
    resourceOwner: details.resourceOwner,
  });
}

export function settingsToProto(settings: OidcSettings): OIDCSettings {
  const l = settings.lifetimes;
  return create(OIDCSettingsSchema, {
    details: detailsToProto(settings.details),
    accessTokenLifetime: durationOut(l.accessTokenLifetime),
    idTokenLifetime: durationOut(l.idTokenLifetime),
    refreshTokenIdleExpiration: durationOut(l.refreshTokenIdleExpiration),
    refreshTokenExpiration: durationOut(l.refreshTokenExpiration),
  });
}
