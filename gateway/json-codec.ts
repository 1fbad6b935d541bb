import {
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type Registry,
  fromBinary,
  fromJson,
  toBinary,
  toJsonString,
} from '@bufbuild/protobuf';
import { Codes, GatewayError } from './errors';

/**
 * Proto3 JSON in and out for the protocols that carry JSON (REST, Connect).
 * The mapping itself is @bufbuild/protobuf's; what is kept here is what it
 * does not do: name the field a parse failed on, and keep the JSON of an
 * answer the core hands back unchanged.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A request body as JSON; undefined for an empty (or blank) body. */
export function jsonParse(body: Uint8Array): JsonValue | undefined {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new GatewayError(Codes.invalidArgument, 'the request body is not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new GatewayError(Codes.invalidArgument, `malformed JSON body: ${(error as Error).message}`);
  }
}

/** JSON -> binary message; unknown fields are discarded, an invalid value is named by its field. */
export function jsonToBinary(input: DescMessage, json: JsonObject, registry: Registry): Uint8Array {
  const options = { ignoreUnknownFields: true, registry };
  try {
    return toBinary(input, fromJson(input, json, options));
  } catch (error) {
    // The parser's reason does not always say which field it was reading
    // (a bad Duration is just "google.protobuf.Duration"): find it by parsing
    // the top-level fields one at a time, and name it.
    const reason = error instanceof Error ? error.message : String(error);
    const culprit = Object.keys(json).find((key) => {
      try {
        fromJson(input, { [key]: json[key]! }, options);
        return false;
      } catch {
        return true;
      }
    });
    throw new GatewayError(Codes.invalidArgument, culprit === undefined ? reason : `invalid value for field ${culprit}: ${reason}`);
  }
}

/**
 * The last JSON made for each response type, with the bytes it was made
 * from: an answer whose bytes did not change (a Get while nothing was
 * written) is answered without decoding, encoding or copying it to UTF-8
 * again. The same bytes object (an in-process core's kept answer) is known
 * at once; bytes from an upstream are new each call and are compared.
 */
const lastJson = new WeakMap<DescMessage, { readonly bytes: Uint8Array; readonly registry: Registry; readonly json: Buffer }>();

/** Binary message -> proto3 JSON text, as UTF-8 bytes. */
export function binaryToJson(output: DescMessage, bytes: Uint8Array, registry: Registry): Buffer {
  const last = lastJson.get(output);
  if (last !== undefined && last.registry === registry && (last.bytes === bytes || Buffer.compare(last.bytes, bytes) === 0)) return last.json;
  const json = Buffer.from(toJsonString(output, fromBinary(output, bytes), { registry }), 'utf8');
  lastJson.set(output, { bytes, registry, json });
  return json;
}

/** A field by its proto name or its JSON name. */
export function fieldNamed(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name || f.jsonName === name);
}
