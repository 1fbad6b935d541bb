import { BadRequest } from '../../gen/client/google/rpc/error_details';
import { Status } from '../../gen/client/google/rpc/status';
import { ErrorDetail } from '../../gen/client/zitadel/message';
import { base64Decode } from './base64';

/** What the server attached to an error in grpc-status-details-bin (REFERENCE §3). */
export interface StatusDetails {
  /** zitadel.v1.ErrorDetail: the stable id (e.g. INST-10sxks) and the untranslated text. */
  readonly id?: string;
  readonly text?: string;
  /** google.rpc.BadRequest: proto field name -> what is wrong with it. */
  readonly violations: ReadonlyMap<string, string>;
}

const ERROR_DETAIL = 'zitadel.v1.ErrorDetail';
const BAD_REQUEST = 'google.rpc.BadRequest';

/** The fully qualified name after the last "/" of a type URL (google.protobuf.Any). */
const typeNameOf = (typeUrl: string): string => typeUrl.slice(typeUrl.lastIndexOf('/') + 1);

/**
 * Details are an enrichment of the status a client already has, so a
 * missing or mangled header yields no details rather than an error.
 */
export function statusDetailsDecode(header: string | undefined): StatusDetails {
  const bytes = header === undefined ? undefined : base64Decode(header);
  if (!bytes) return { violations: new Map() };
  try {
    const status = Status.decode(bytes);
    let detail: ErrorDetail | undefined;
    const violations = new Map<string, string>();
    for (const any of status.details) {
      const name = typeNameOf(any.typeUrl);
      if (name === ERROR_DETAIL) detail = ErrorDetail.decode(any.value);
      if (name === BAD_REQUEST) {
        for (const v of BadRequest.decode(any.value).fieldViolations) violations.set(v.field, v.description);
      }
    }
    return { id: detail?.id, text: detail?.message, violations };
  } catch {
    return { violations: new Map() };
  }
}
