import { create, toBinary } from '@bufbuild/protobuf';
import {
  AddOIDCSettingsResponseSchema,
  AdminService,
  GetOIDCSettingsResponseSchema,
  UpdateOIDCSettingsResponseSchema,
} from '../../gen/es/zitadel/admin_pb';
import type { OidcSettingsService } from '../app/oidc-settings-service';
import type { OidcSettings } from '../domain/oidc-settings';
import { detailsToProto, lifetimesFromRequest, settingsToProto } from './converters';
import { type MethodImpl, unary } from './dispatcher';

/** zitadel.admin.v1.AdminService: three thin handlers over the settings service. */
export function adminServiceMethods(settings: OidcSettingsService): MethodImpl[] {
  const { method } = AdminService;
  // Reads vastly outnumber writes: the encoded answer is kept until a commit
  // replaces the settings object it was made from.
  let encodedFrom: OidcSettings | undefined;
  let encoded = new Uint8Array();
  const encode = (current: OidcSettings): Uint8Array => {
    if (current !== encodedFrom) {
      const bytes = toBinary(GetOIDCSettingsResponseSchema, create(GetOIDCSettingsResponseSchema, { settings: settingsToProto(current) }));
      // As a Buffer, which grpc-js sends without a wrapper made per call.
      encoded = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      encodedFrom = current;
    }
    return encoded;
  };
  return [
    unary(method.getOIDCSettings, () => {
      const current = settings.get();
      return current instanceof Promise ? current.then(encode) : encode(current);
    }),
    unary(method.addOIDCSettings, async (request, principal) =>
      create(AddOIDCSettingsResponseSchema, {
        details: detailsToProto(await settings.add(principal, lifetimesFromRequest(request))),
      }),
    ),
    unary(method.updateOIDCSettings, async (request, principal) =>
      create(UpdateOIDCSettingsResponseSchema, {
        details: detailsToProto(await settings.update(principal, lifetimesFromRequest(request))),
      }),
    ),
  ];
}
