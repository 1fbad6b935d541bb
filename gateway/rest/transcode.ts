import { type DescMessage, type JsonObject, type JsonValue, type Registry, ScalarType, fromBinary, toJsonString } from '@bufbuild/protobuf';
import { Codes, GatewayError } from '../errors';
import { binaryToJson, fieldNamed, jsonParse, jsonToBinary } from '../json-codec';
import type { Route } from './routes';

const EMPTY = new Uint8Array(0);

/**
 * HTTP/JSON -> request message, per google.api.http: the body (all of it for
 * body "*", one field for body "<field>"), then query parameters for what
 * the body and path do not bind, then path variables. Everything goes
 * through one proto3 JSON parse (@bufbuild/protobuf fromJson), so durations,
 * timestamps and 64-bit integers are read by the library, never by hand.
 * Unknown fields and query parameters are discarded.
 */
export function requestTranscode(
  route: Route,
  bindings: Readonly<Record<string, string>>,
  query: URLSearchParams,
  body: Uint8Array,
  registry: Registry,
): Uint8Array {
  const input = route.method.input;
  let json: JsonObject = {};
  if (route.body !== '') {
    const parsed = jsonParse(body);
    if (route.body === '*') {
      if (parsed !== undefined && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
        throw new GatewayError(Codes.invalidArgument, `the request body must be a JSON object (${input.typeName})`);
      }
      json = (parsed) ?? {};
    } else if (parsed !== undefined) {
      json[route.body] = parsed;
    }
  }
  if (route.body !== '*') {
    for (const [key, value] of query) {
      if (!(key in bindings)) bind(json, input, key.split('.'), value);
    }
  }
  for (const [key, value] of Object.entries(bindings)) bind(json, input, key.split('.'), value);

  // Nothing bound (a plain GET): the empty message, which encodes as no bytes.
  return hasFields(json) ? jsonToBinary(input, json, registry) : EMPTY;
}

/** Response message -> JSON (UTF-8), the whole message or its response_body field. */
export function responseTranscode(route: Route, bytes: Uint8Array, registry: Registry): Buffer {
  const output = route.method.output;
  if (route.responseBody === '') return binaryToJson(output, bytes, registry);
  const field = output.fields.find((f) => f.name === route.responseBody);
  const whole = JSON.parse(toJsonString(output, fromBinary(output, bytes), { registry, useProtoFieldName: true })) as JsonObject;
  return Buffer.from(JSON.stringify(field ? (whole[field.name] ?? null) : null), 'utf8');
}

/**
 * Sets a path or query value at a field path in the JSON being built. Only
 * the JSON shape is decided here (booleans, repeated fields, nesting); the
 * value's own syntax is left to the proto3 JSON parser.
 */
function bind(json: JsonObject, message: DescMessage, path: string[], value: string): void {
  let target = json;
  let desc: DescMessage = message;
  for (let i = 0; i < path.length; i++) {
    const field = fieldNamed(desc, path[i]!);
    // Unknown query parameters are discarded, as unknown JSON fields are
    // (path variables were checked against the request when routes compiled).
    if (!field) return;
    const last = i === path.length - 1;
    if (!last) {
      if (field.fieldKind !== 'message') return;
      const next = target[field.name];
      target = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : (target[field.name] = {});
      desc = field.message;
      continue;
    }
    const scalar = field.fieldKind === 'scalar' || (field.fieldKind === 'list' && field.listKind === 'scalar');
    const typed: JsonValue = scalar && field.scalar === ScalarType.BOOL ? boolOf(value, path.join('.')) : value;
    if (field.fieldKind === 'list') {
      const list = target[field.name];
      target[field.name] = Array.isArray(list) ? [...list, typed] : [typed];
    } else {
      target[field.name] = typed;
    }
  }
}

function hasFields(json: JsonObject): boolean {
  for (const key in json) if (Object.hasOwn(json, key)) return true;
  return false;
}

function boolOf(value: string, field: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new GatewayError(Codes.invalidArgument, `${field}: ${JSON.stringify(value)} is not a boolean (true or false)`);
}
