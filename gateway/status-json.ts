import { create, fromBinary, toJsonString } from '@bufbuild/protobuf';
import type { Registry } from '@bufbuild/protobuf';
import { StatusSchema } from '../gen/es/google/rpc/status_pb';

/**
 * The REST error body: a google.rpc.Status in proto3 JSON, with its details
 * decoded ({"@type": ..., fields}). A detail whose type the registry does not
 * know is left out rather than failing the whole answer.
 */
export function statusToJson(code: number, message: string, details: Uint8Array | undefined, registry: Registry): string {
  const status = create(StatusSchema, { code, message });
  if (details) {
    try {
      status.details = fromBinary(StatusSchema, details).details.filter((any) =>
        registry.getMessage(any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1)),
      );
    } catch {
      // Undecodable details: the code and message still go out.
    }
  }
  return toJsonString(StatusSchema, status, { registry });
}
