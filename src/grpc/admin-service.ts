import { create } from '@bufbuild/protobuf';
import {
  AddOIDCSettingsResponseSchema,
  AdminService,
  GetOIDCSettingsResponseSchema,
  UpdateOIDCSettingsResponseSchema,
} from '../../gen/es/zitadel/admin_pb';
import type { OidcSettingsService } from '../app/oidc-settings-service';
import { detailsToProto, lifetimesFromRequest, settingsToProto } from './converters';
import { type MethodImpl, unary } from './dispatcher';

/** zitadel.admin.v1.AdminService: three thin handlers over the settings service. */
export function adminServiceMethods(settings: OidcSettingsService): MethodImpl[] {
  const { method } = AdminService;
  return [
    unary(method.getOIDCSettings, () =>
      create(GetOIDCSettingsResponseSchema, { settings: settingsToProto(settings.get()) }),
    ),
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
