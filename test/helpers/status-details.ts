import { createRegistry, fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { type BadRequest, BadRequestSchema } from '../../gen/es/google/rpc/error_details_pb';
import { StatusSchema } from '../../gen/es/google/rpc/status_pb';
import { type ErrorDetail, ErrorDetailSchema } from '../../gen/es/zitadel/message_pb';

const registry = createRegistry(ErrorDetailSchema, BadRequestSchema);

export interface DecodedDetails {
  readonly code: number;
  readonly message: string;
  /** zitadel.v1.ErrorDetail */
  readonly id: string | undefined;
  readonly text: string | undefined;
  /** google.rpc.BadRequest field violations, field -> description */
  readonly violations: Record<string, string>;
  readonly typeUrls: string[];
}

/** Decodes grpc-status-details-bin (a google.rpc.Status) the way a client would. */
export function decodeStatusDetails(bytes: Uint8Array): DecodedDetails {
  const status = fromBinary(StatusSchema, bytes);
  let detail: ErrorDetail | undefined;
  let badRequest: BadRequest | undefined;
  for (const any of status.details) {
    const message = anyUnpack(any, registry);
    if (message?.$typeName === 'zitadel.v1.ErrorDetail') detail = message as ErrorDetail;
    if (message?.$typeName === 'google.rpc.BadRequest') badRequest = message as BadRequest;
  }
  return {
    code: status.code,
    message: status.message,
    id: detail?.id,
    text: detail?.message,
    violations: Object.fromEntries((badRequest?.fieldViolations ?? []).map((v) => [v.field, v.description])),
    typeUrls: status.details.map((d) => d.typeUrl),
  };
}
