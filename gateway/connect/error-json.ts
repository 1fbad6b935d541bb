import { fromBinary } from '@bufbuild/protobuf';
import { StatusSchema } from '../../gen/es/google/rpc/status_pb';
import { codeToConnectString } from './code';

/**
 * A Connect error body (connectrpc.com/docs/protocol#error-end-stream):
 * {"code": "invalid_argument", "message": ..., "details": [{"type":
 * "google.rpc.BadRequest", "value": <base64 of the message>}]}. The details
 * come from the google.rpc.Status a call answered with; each keeps its
 * bytes as they are, so a client decodes them with its own schemas.
 */
export function errorJsonSerialize(code: number, message: string, details?: Uint8Array): string {
  const body: { code: string; message?: string; details?: Array<{ type: string; value: string }> } = { code: codeToConnectString(code) };
  if (message !== '') body.message = message;
  if (details) {
    try {
      const anys = fromBinary(StatusSchema, details).details;
      if (anys.length > 0) {
        body.details = anys.map((any) => ({
          type: any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1),
          value: Buffer.from(any.value).toString('base64').replace(/=+$/, ''),
        }));
      }
    } catch {
      // Undecodable details: the code and message still go out.
    }
  }
  return JSON.stringify(body);
}
