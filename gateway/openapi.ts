/**
 * The OpenAPI 3.0 document of the REST routes (https://spec.openapis.org/oas/v3.0.3),
 * generated at start from the descriptors and the compiled google.api.http
 * routes the gateway serves, so it cannot drift from them. Schemas are the
 * proto3 JSON forms the transcoder reads and writes
 * (https://protobuf.dev/programming-guides/json/). 3.0 rather than 3.1: more
 * tools read it, and validators check its schema objects too.
 */
import { createHash } from 'node:crypto';
import {
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescMethod,
  type DescService,
  ScalarType,
  getOption,
  hasOption,
} from '@bufbuild/protobuf';
import { isWrapperDesc } from '@bufbuild/protobuf/wkt';
import { StatusSchema } from '../gen/es/google/rpc/status_pb';
import { auth_option } from '../gen/es/zitadel/options_pb';
import { codeToHttpStatus } from './http-status';
import type { Route, Router } from './rest/routes';
import { fieldNamed } from './json-codec';
import type { Schema } from './schema';
import type { ExtraRoute } from './server';

export type JsonSchema = { [keyword: string]: unknown };

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: { 'application/json': { schema: JsonSchema } };
}

export interface OpenApiOperation {
  operationId: string;
  summary?: string;
  description?: string;
  tags: string[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, OpenApiResponse>;
  security?: Record<string, string[]>[];
  /** The zitadel.v1.auth_option permission a token's role must grant. */
  'x-permission'?: string;
}

export interface OpenApiDocument {
  openapi: '3.0.3';
  info: { title: string; version: string };
  servers: { url: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  /** The mounts the router was compiled with (routes do not keep their prefix); checked against the router. */
  readonly mounts: Readonly<Record<string, string>>;
}

/** proto3 JSON Duration: seconds with an "s" suffix and up to nine fractional digits. */
const DURATION_PATTERN = '^-?[0-9]+(\\.[0-9]{1,9})?s$';
/** A path variable with its optional pattern: "{book.id}", "{name=shelves/*}". The router already validated the syntax. */
const VARIABLE = /\{([^}=]+)(?:=([^}]*))?\}/g;
const OPERATION_KEYS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
/** Message types a query value can carry: the gateway hands the string to the JSON parser, which reads these from a string. BoolValue it cannot. */
const QUERY_MESSAGES = new Set([
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.FieldMask',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.FloatValue',
  'google.protobuf.DoubleValue',
]);
const STATUS_TEXT: Readonly<Record<number, string>> = {
  3: 'Returned when a request field is invalid (INVALID_ARGUMENT).',
  5: 'Returned when the resource does not exist.',
  6: 'Returned when the resource already exists.',
  7: 'Returned when the user does not have permission to access the resource.',
  16: 'Returned when the request carries no valid bearer token (UNAUTHENTICATED).',
};

/**
 * Every route of `router` (compiled from `schema` with `options.mounts`), with
 * its request and response schemas, the error statuses it can answer
 * (as google.rpc.Status), bearer security and the protos' comments.
 */
export function openApiDocument(schema: Schema, router: Router, options: OpenApiOptions): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {};
  const comments = new Map<DescFile, Map<string, string>>();

  /** A declaration's leading (else trailing) comment, looked up in its file's source_code_info. */
  const commentOf = (desc: DescMessage | DescEnum | DescField | DescService | DescMethod): string => {
    const file = desc.kind === 'field' || desc.kind === 'rpc' ? desc.parent.file : desc.file;
    let byPath = comments.get(file);
    if (!byPath) {
      byPath = new Map();
      for (const l of file.proto.sourceCodeInfo?.location ?? []) {
        // "// text" keeps the space after the slashes on every line.
        const text = (l.leadingComments || l.trailingComments).replace(/^ /gm, '').trim();
        if (text !== '') byPath.set(l.path.join('.'), text);
      }
      comments.set(file, byPath);
    }
    return byPath.get(sourcePath(desc).join('.')) ?? '';
  };
  // OpenAPI 3.0 ignores a $ref's siblings: a described reference is wrapped in allOf.
  const described = (s: JsonSchema, description: string): JsonSchema =>
    !description ? s : '$ref' in s ? { allOf: [s], description } : { ...s, description };

  const enumSchema = (desc: DescEnum): JsonSchema => {
    if (desc.typeName === 'google.protobuf.NullValue') return { nullable: true, enum: [null] };
    if (!(desc.typeName in schemas)) {
      // Readers also accept the numbers; writers send the names.
      schemas[desc.typeName] = described({ type: 'string', enum: desc.values.map((v) => v.name) }, commentOf(desc));
    }
    return { $ref: `#/components/schemas/${desc.typeName}` };
  };
  const messageRef = (desc: DescMessage): JsonSchema => {
    const known = wellKnownSchema(desc);
    if (known) return known;
    if (!(desc.typeName in schemas)) {
      schemas[desc.typeName] = {}; // claims the name first, so a recursive message refers to itself
      schemas[desc.typeName] = messageSchema(desc, []);
    }
    return { $ref: `#/components/schemas/${desc.typeName}` };
  };
  const valueSchema = (field: DescField): JsonSchema => {
    switch (field.fieldKind) {
      case 'scalar':
        return scalarSchema(field.scalar);
      case 'enum':
        return enumSchema(field.enum);
      case 'message':
        return messageRef(field.message);
      case 'list': {
        const items =
          field.listKind === 'scalar' ? scalarSchema(field.scalar) : field.listKind === 'enum' ? enumSchema(field.enum) : messageRef(field.message);
        return { type: 'array', items };
      }
      case 'map': {
        const values =
          field.mapKind === 'scalar' ? scalarSchema(field.scalar) : field.mapKind === 'enum' ? enumSchema(field.enum) : messageRef(field.message);
        return { type: 'object', additionalProperties: values };
      }
    }
  };
  /** A message as a JSON object, leaving out the fields at `without` (paths of proto names the URL path binds). */
  const messageSchema = (desc: DescMessage, without: readonly (readonly string[])[]): JsonSchema => {
    const properties: Record<string, JsonSchema> = {};
    for (const field of desc.fields) {
      const below = without.filter((p) => p[0] === field.name).map((p) => p.slice(1));
      if (below.some((p) => p.length === 0)) continue;
      properties[field.jsonName] =
        below.length > 0 && field.fieldKind === 'message'
          ? described(messageSchema(field.message, below), commentOf(field))
          : described(valueSchema(field), commentOf(field));
    }
    const oneofs = desc.oneofs.map((o) => `At most one of ${o.fields.map((f) => `\`${f.jsonName}\``).join(', ')} is set.`);
    return described({ type: 'object', properties }, [commentOf(desc), ...oneofs].filter(Boolean).join('\n\n'));
  };

  /** google.api.http: fields the path and body do not bind are read from the query, by JSON name, dotted into messages. */
  const queryParameters = (desc: DescMessage, skip: readonly (readonly string[])[], prefix: string, seen: ReadonlySet<string>): OpenApiParameter[] =>
    desc.fields.flatMap((field): OpenApiParameter[] => {
      const below = skip.filter((p) => p[0] === field.name).map((p) => p.slice(1));
      if (below.some((p) => p.length === 0)) return [];
      const name = prefix + field.jsonName;
      const parameter = (s: JsonSchema): OpenApiParameter[] => [parameterOf(name, 'query', s, commentOf(field))];
      switch (field.fieldKind) {
        case 'scalar':
        case 'enum':
          return parameter(valueSchema(field));
        case 'list':
          return field.listKind === 'message' ? [] : parameter(valueSchema(field));
        case 'message': {
          const type = field.message.typeName;
          if (QUERY_MESSAGES.has(type)) return parameter(valueSchema(field));
          if (wellKnownSchema(field.message) || seen.has(type)) return [];
          return queryParameters(field.message, below, `${name}.`, new Set([...seen, type]));
        }
        case 'map':
          return [];
      }
    });

  const status = schema.files.getMessage('google.rpc.Status') ?? StatusSchema;
  const statusRef = messageRef(status);
  // The generated StatusSchema carries no source comments.
  schemas[status.typeName] = described(schemas[status.typeName] ?? {}, commentOf(status) || 'The error body of every REST call: a gRPC status, its details decoded.');
  const errorJson = { 'application/json': { schema: statusRef } };
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Map<string, string>();
  const owners = new Map<string, DescMethod>();
  // operationIds must be unique: another service's method of the same name is
  // prefixed with its service, further bindings of one method are numbered.
  const uniqueId = (method: DescMethod): string => {
    const owner = owners.get(method.name);
    const base = owner === undefined || owner === method ? method.name : `${method.parent.name}_${method.name}`;
    let id = base;
    for (let n = 2; owners.has(id); n++) id = `${base}${n}`;
    owners.set(id, method);
    return id;
  };
  const responsesOf = (route: Route): Record<string, OpenApiResponse> => {
    const field = route.method.output.fields.find((f) => f.name === route.responseBody);
    const responses: Record<string, OpenApiResponse> = {
      200: {
        description: 'A successful response.',
        content: { 'application/json': { schema: field ? valueSchema(field) : messageRef(route.method.output) } },
      },
    };
    for (const code of errorCodes(route)) {
      const response: OpenApiResponse = { description: STATUS_TEXT[code] ?? '', content: errorJson };
      if (code === 16) response.headers = { 'WWW-Authenticate': { description: 'The bearer challenge.', schema: { type: 'string' } } };
      responses[codeToHttpStatus(code)] = response;
    }
    responses['default'] = {
      description:
        "An unexpected error response, or one of the gateway's own: 413 (body too large), 415 (not JSON), 503 (upstream unavailable), 504 (deadline exceeded).",
      content: errorJson,
    };
    return responses;
  };
  /** OpenAPI 3 has no multi-segment parameter: a variable such as {name=shelves/*} is one parameter, its pattern spelled out. */
  const pathParameter = (name: string, pattern: string | undefined, field: DescField | undefined): OpenApiParameter => {
    const comment = field ? commentOf(field) : '';
    const s = field ? valueSchema(field) : { type: 'string' };
    if (pattern === undefined || pattern === '*') return parameterOf(name, 'path', s, comment);
    const regex = pattern
      .split('/')
      .map((seg) => (seg === '*' ? '[^/]+' : seg === '**' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const form = `Of the form \`${pattern}\`; its slashes are sent as they are, not percent-encoded.`;
    return parameterOf(name, 'path', { ...s, pattern: `^${regex}$` }, comment ? `${comment}\n\n${form}` : form);
  };
  // Proto declaration order reads better than the router's (most specific first).
  const declared = [...schema.methods.values()];
  const routes = [...router.routes].sort((a, b) => declared.indexOf(a.method) - declared.indexOf(b.method));

  for (const route of routes) {
    const { method } = route;
    const input = method.input;
    const verb = route.httpMethod.toLowerCase();
    // A custom HTTP method other than these has no place in an OpenAPI path item.
    if (!OPERATION_KEYS.has(verb)) continue;
    const prefix = options.mounts[method.parent.typeName] ?? '';
    const path = prefix + route.template.template.replace(VARIABLE, (_, field: string) => `{${field}}`);
    const sample = prefix + route.template.template.replace(VARIABLE, (_, _field: string, pattern: string | undefined) => pattern ?? '*').replace(/\*\*?/g, 'x');
    if (!route.template.match(sample)) {
      throw new Error(`openApiDocument: ${method.parent.typeName} is not mounted at "${prefix}" in the router`);
    }
    const item = (paths[path] ??= {});
    const existing = item[verb];
    if (existing) {
      // "/v1/{name=shelves/*}" and "/v1/{name=books/*}" are one OpenAPI path: say so where a reader looks.
      const note = `Also answers ${route.httpMethod} ${prefix}${route.template.template} (${method.name}): OpenAPI 3 cannot list it apart from this path.`;
      existing.description = existing.description ? `${existing.description}\n\n${note}` : note;
      continue;
    }

    const bound = route.template.variables.map((v) => protoPath(input, v));
    const parameters = [...route.template.template.matchAll(VARIABLE)].map(([, name = '', pattern]) =>
      pathParameter(name, pattern, leafField(input, name.split('.'))),
    );
    const bodyField = input.fields.find((f) => f.name === route.body);
    if (route.body !== '*') {
      parameters.push(...queryParameters(input, bodyField ? [...bound, [bodyField.name]] : bound, '', new Set([input.typeName])));
    }
    let requestBody: OpenApiOperation['requestBody'];
    if (route.body !== '') {
      let body: JsonSchema;
      if (bodyField) {
        const below = bound.filter((p) => p[0] === bodyField.name).map((p) => p.slice(1));
        body = below.length > 0 && bodyField.fieldKind === 'message' ? messageSchema(bodyField.message, below) : valueSchema(bodyField);
      } else {
        body = bound.length > 0 ? messageSchema(input, bound) : messageRef(input);
      }
      // Marked required as grpc-gateway's generator and ZITADEL's API pages do, though an empty body reads as {}.
      requestBody = { required: true, content: { 'application/json': { schema: body } } };
    }
    const auth = hasOption(method, auth_option) ? getOption(method, auth_option) : undefined;
    const operation: OpenApiOperation = {
      operationId: uniqueId(method),
      ...summaryOf(commentOf(method)),
      tags: [method.parent.name],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses: responsesOf(route),
      ...(auth ? { security: [{ bearerAuth: [] }] } : {}),
      ...(auth?.permission ? { 'x-permission': auth.permission } : {}),
    };
    item[verb] = operation;
    tags.set(method.parent.name, commentOf(method.parent));
  }

  return {
    openapi: '3.0.3',
    info: { title: options.title, version: options.version },
    servers: [{ url: '/' }],
    tags: [...tags].map(([name, description]) => (description ? { name, description } : { name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A personal access token.' } },
    },
  };
}

/** Serves the document as GET /openapi.json, serialized once. */
export function openApiRoute(make: () => OpenApiDocument): ExtraRoute {
  // Made at the first request, not at start: most servers are never asked for it.
  let made: { body: Buffer; etag: string; headers: Record<string, string> } | undefined;
  const document = () => {
    if (made) return made;
    const body = Buffer.from(JSON.stringify(make()));
    const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
    // The document only changes with a restart (new protos): caches keep it briefly and revalidate by ETag.
    return (made = { body, etag, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', etag } });
  };
  return {
    method: 'GET',
    path: '/openapi.json',
    handle(request, response) {
      const { body, etag, headers } = document();
      const tags = request.headers['if-none-match']?.split(',').map((t) => t.trim().replace(/^W\//, ''));
      if (tags?.includes(etag) || tags?.includes('*')) {
        response.writeHead(304, headers).end();
        return;
      }
      response.writeHead(200, { ...headers, 'content-length': body.length }).end(body);
    },
  };
}

/**
 * The gRPC codes a route can answer besides OK, as far as the protos tell:
 * auth_option means a token is checked; request fields can be invalid.
 * Whether a resource can be missing or already there is not in the protos,
 * so it is read from the HTTP method, as REST conventions (AIP-131..135) use them.
 */
function errorCodes(route: Route): number[] {
  const codes: number[] = [];
  if (route.method.input.fields.length > 0) codes.push(3);
  if (hasOption(route.method, auth_option)) codes.push(16, 7);
  codes.push(route.httpMethod === 'POST' ? 6 : 5);
  return codes;
}

function parameterOf(name: string, where: 'path' | 'query', schema: JsonSchema, description: string): OpenApiParameter {
  const parameter: OpenApiParameter = { name, in: where, schema };
  if (where === 'path') parameter.required = true;
  if (description) parameter.description = description;
  return parameter;
}

/** The first paragraph of an rpc comment is its title ("Get OIDC settings"), the rest its description. */
function summaryOf(comment: string): { summary?: string; description?: string } {
  if (comment === '') return {};
  const [first = '', ...rest] = comment.split(/\n\s*\n/);
  const summary = first.replace(/\s*\n\s*/g, ' ');
  const description = rest.join('\n\n').trim();
  return description ? { summary, description } : { summary };
}

/** A path variable's field path (proto or JSON names, as the template wrote them) in proto names. */
function protoPath(message: DescMessage, path: readonly string[]): string[] {
  const names: string[] = [];
  let desc: DescMessage | undefined = message;
  for (const name of path) {
    const field: DescField | undefined = desc && fieldNamed(desc, name);
    names.push(field?.name ?? name);
    desc = field?.message;
  }
  return names;
}

function leafField(message: DescMessage, path: readonly string[]): DescField | undefined {
  let field: DescField | undefined;
  let desc: DescMessage | undefined = message;
  for (const name of path) {
    field = desc && fieldNamed(desc, name);
    desc = field?.message;
  }
  return field;
}

/** Where a declaration sits in its file, as descriptor.proto's SourceCodeInfo.Location.path numbers it. */
function sourcePath(desc: DescMessage | DescEnum | DescField | DescService | DescMethod): number[] {
  switch (desc.kind) {
    case 'message': // FileDescriptorProto.message_type = 4, DescriptorProto.nested_type = 3
      return desc.parent ? [...sourcePath(desc.parent), 3, desc.parent.proto.nestedType.indexOf(desc.proto)] : [4, desc.file.proto.messageType.indexOf(desc.proto)];
    case 'enum': // FileDescriptorProto.enum_type = 5, DescriptorProto.enum_type = 4
      return desc.parent ? [...sourcePath(desc.parent), 4, desc.parent.proto.enumType.indexOf(desc.proto)] : [5, desc.file.proto.enumType.indexOf(desc.proto)];
    case 'field': // DescriptorProto.field = 2
      return [...sourcePath(desc.parent), 2, desc.parent.proto.field.indexOf(desc.proto)];
    case 'service': // FileDescriptorProto.service = 6
      return [6, desc.file.proto.service.indexOf(desc.proto)];
    case 'rpc': // ServiceDescriptorProto.method = 2
      return [...sourcePath(desc.parent), 2, desc.parent.proto.method.indexOf(desc.proto)];
  }
}

function scalarSchema(scalar: ScalarType): JsonSchema {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: 'integer', format: 'int32' };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: 'integer', format: 'uint32', minimum: 0 };
    // 64-bit integers are decimal strings: a JSON number would lose precision in JavaScript.
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: 'string', format: 'int64' };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: 'string', format: 'uint64' };
    case ScalarType.FLOAT:
      return { type: 'number', format: 'float' };
    case ScalarType.DOUBLE:
      return { type: 'number', format: 'double' };
    case ScalarType.BOOL:
      return { type: 'boolean' };
    case ScalarType.STRING:
      return { type: 'string' };
    case ScalarType.BYTES:
      return { type: 'string', format: 'byte' };
  }
}

/** The well-known types have JSON forms of their own; they are written inline, not as components. */
function wellKnownSchema(desc: DescMessage): JsonSchema | undefined {
  if (isWrapperDesc(desc)) return scalarSchema(desc.fields[0].scalar);
  switch (desc.typeName) {
    case 'google.protobuf.Duration':
      return { type: 'string', pattern: DURATION_PATTERN, example: '43200s' };
    case 'google.protobuf.Timestamp':
      return { type: 'string', format: 'date-time', example: '2025-03-25T15:37:48.151Z' };
    case 'google.protobuf.FieldMask':
      return { type: 'string', description: 'Field paths in lowerCamelCase, separated by commas.' };
    case 'google.protobuf.Any':
      return { type: 'object', properties: { '@type': { type: 'string' } }, required: ['@type'], additionalProperties: true };
    case 'google.protobuf.Struct':
      return { type: 'object', additionalProperties: true };
    case 'google.protobuf.Value':
      return {};
    case 'google.protobuf.ListValue':
      return { type: 'array', items: {} };
    case 'google.protobuf.Empty':
      return { type: 'object' };
    default:
      return undefined;
  }
}
