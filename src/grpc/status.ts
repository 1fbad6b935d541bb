import { create, toBinary } from '@bufbuild/protobuf';
import { type Any, anyPack } from '@bufbuild/protobuf/wkt';
import { BadRequestSchema } from '../../gen/es/google/rpc/error_details_pb';
import { StatusSchema } from '../../gen/es/google/rpc/status_pb';
import { ErrorDetailSchema } from '../../gen/es/zitadel/message_pb';
import type { AppError } from '../domain/app-error';
import type { UnaryResult } from './unary';

/**
 * An error as gRPC status: code, ZITADEL's "<text> (<id>)" message, and a
 * google.rpc.Status for grpc-status-details-bin carrying a
 * zitadel.v1.ErrorDetail (id, text) and, for invalid arguments, a
 * google.rpc.BadRequest with one violation per bad field.
 */
export function errorToResult(error: AppError): UnaryResult {
  const details: Any[] = [anyPack(ErrorDetailSchema, create(ErrorDetailSchema, { id: error.id, message: error.text }))];
  if (error.violations.length > 0) {
    details.push(
      anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: error.violations.map((v) => ({ ...v })) })),
    );
  }
  const status = create(StatusSchema, { code: error.code, message: error.message, details });
  return { code: error.code, message: error.message, details: toBinary(StatusSchema, status) };
}
