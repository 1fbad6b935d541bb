/**
 * The OpenAPI document is generated from the descriptors and the compiled
 * routes. Checked with a maintained OpenAPI validator, against the API
 * page the project started from (PUT /admin/v1/settings/oidc), and against
 * test-only protos for the generic bindings and type mappings. Pure unit:
 * no server is started.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type JsonSchema, type OpenApiDocument, type OpenApiOperation, openApiDocument, openApiRoute } from '../../gateway/openapi';
import { routerCompile } from '../../gateway/rest/routes';
import { schemaFromDescriptorSet } from '../../gateway/schema';
import { libraryDescriptorSet } from '../helpers/library-upstream';
import { validateOpenApi } from '../helpers/openapi-validate';

const ROOT = path.join(__dirname, '../..');
const MOUNTS = { 'zitadel.admin.v1.AdminService': '/admin/v1' };
const DURATION = { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$' };
const STATUS_REF = { $ref: '#/components/schemas/google.rpc.Status' };

function documentOf(descriptorSet: Uint8Array, mounts: Record<string, string>): OpenApiDocument {
  const schema = schemaFromDescriptorSet(descriptorSet);
  return openApiDocument(schema, routerCompile(schema, mounts), { title: 'test', version: '1.2.3', mounts });
}

/** What a schema validator does not check: $refs resolve, path templates and path parameters agree, operationIds are unique. */
function expectConsistent(document: OpenApiDocument): void {
  const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]*)"/g)].map((m) => m[1]!);
  expect(refs.length).toBeGreaterThan(0);
  for (const name of refs) expect(document.components.schemas).toHaveProperty([name]);
  expect(JSON.stringify(document).match(/"\$ref"/g)).toHaveLength(refs.length);
  const ids: string[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const operation of Object.values(item)) {
      ids.push(operation.operationId);
      expect((operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)).toEqual(names);
    }
  }
  expect(new Set(ids).size).toBe(ids.length);
}

/** Follows $refs, and the allOf that wraps a described one. */
function resolve(document: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema {
  let s = schema;
  for (;;) {
    const wrapped = s?.['allOf'] as JsonSchema[] | undefined;
    if (wrapped?.length === 1) s = wrapped[0];
    else if (typeof s?.['$ref'] === 'string') s = document.components.schemas[s['$ref'].replace('#/components/schemas/', '')];
    else break;
  }
  expect(s).toBeDefined();
  return s!;
}

function operationOf(document: OpenApiDocument, template: string, verb: string): OpenApiOperation {
  const operation = document.paths[template]?.[verb];
  expect(operation).toBeDefined();
  return operation!;
}

function bodyOf(document: OpenApiDocument, operation: OpenApiOperation): JsonSchema {
  expect(operation.requestBody?.required).toBe(true);
  return resolve(document, operation.requestBody?.content['application/json'].schema);
}

function okOf(document: OpenApiDocument, operation: OpenApiOperation): JsonSchema {
  return resolve(document, operation.responses['200']?.content?.['application/json'].schema);
}

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  return schema['properties'] as Record<string, JsonSchema>;
}

function queryOf(operation: OpenApiOperation): Record<string, JsonSchema> {
  return Object.fromEntries((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema]));
}

describe("the service's own document", () => {
  const descriptors = fs.readFileSync(path.join(ROOT, 'gen/descriptors.binpb'));
  const document = documentOf(descriptors, MOUNTS);

  it('is valid OpenAPI 3.0 for a maintained validator, which does reject a broken one', () => {
    expect(validateOpenApi(document)).toEqual({ valid: true });
    expect(validateOpenApi({ ...document, info: { title: 'no version' } }).valid).toBe(false);
    // 3.0, not 3.1: only for 3.0 does the validator check the schema objects themselves.
    const badSchema = { ...document.components.schemas, 'zitadel.v1.ObjectDetails': { type: 'uint64' } };
    expect(validateOpenApi({ ...document, components: { ...document.components, schemas: badSchema } }).valid).toBe(false);
    expectConsistent(document);
    expect(document.info).toEqual({ title: 'test', version: '1.2.3' });
    expect(document.servers).toEqual([{ url: '/' }]);
  });

  it('lists exactly the routes served, under their mount', () => {
    expect(Object.keys(document.paths)).toEqual(['/admin/v1/settings/oidc']);
    const item = document.paths['/admin/v1/settings/oidc']!;
    expect(Object.keys(item)).toEqual(['get', 'post', 'put']);
    expect(Object.values(item).map((o) => o.operationId)).toEqual(['GetOIDCSettings', 'AddOIDCSettings', 'UpdateOIDCSettings']);
  });

  it('describes PUT /admin/v1/settings/oidc as the API page does', () => {
    const put = operationOf(document, '/admin/v1/settings/oidc', 'put');
    expect(put.operationId).toBe('UpdateOIDCSettings');
    expect(put.summary).toBe('Update OIDC settings');
    expect(put.description).toMatch(/^Updates existing OIDC settings\. The OIDC settings define the lifetimes of/);
    expect(put.tags).toEqual(['AdminService']);
    expect(put.parameters).toBeUndefined();

    const body = propertiesOf(bodyOf(document, put));
    expect(Object.keys(body)).toEqual(['accessTokenLifetime', 'idTokenLifetime', 'refreshTokenIdleExpiration', 'refreshTokenExpiration']);
    for (const property of Object.values(body)) expect(property).toMatchObject(DURATION);

    expect(put.responses['200']?.description).toBe('A successful response.');
    const details = resolve(document, propertiesOf(okOf(document, put))['details']);
    expect(propertiesOf(details)).toMatchObject({
      sequence: { type: 'string', format: 'uint64' },
      creationDate: { type: 'string', format: 'date-time' },
      changeDate: { type: 'string', format: 'date-time' },
      resourceOwner: { type: 'string', description: 'The id of the instance that owns the resource.' },
    });

    // The page lists 200, 403, 404 and default; 400 and 401 are derived from the request's fields and auth_option.
    expect(Object.keys(put.responses)).toEqual(['200', '400', '401', '403', '404', 'default']);
    expect(put.responses['403']?.description).toBe('Returned when the user does not have permission to access the resource.');
    expect(put.responses['404']?.description).toBe('Returned when the resource does not exist.');
    for (const status of ['400', '401', '403', '404', 'default']) {
      expect(put.responses[status]?.content?.['application/json'].schema).toEqual(STATUS_REF);
    }
    expect(put.responses['401']?.headers).toHaveProperty(['WWW-Authenticate']);
    expect(propertiesOf(resolve(document, STATUS_REF))).toEqual({
      code: { type: 'integer', format: 'int32' },
      message: { type: 'string' },
      details: {
        type: 'array',
        items: { type: 'object', properties: { '@type': { type: 'string' } }, required: ['@type'], additionalProperties: true },
      },
    });

    expect(put.security).toEqual([{ bearerAuth: [] }]);
    expect(put['x-permission']).toBe('iam.write');
    expect(document.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('derives GET and POST from their rules: no body and 404 for Get, 409 for Add', () => {
    const get = operationOf(document, '/admin/v1/settings/oidc', 'get');
    expect(get.summary).toBe('Get OIDC settings');
    expect(get.requestBody).toBeUndefined();
    expect(get.parameters).toBeUndefined();
    expect(Object.keys(get.responses)).toEqual(['200', '401', '403', '404', 'default']);
    expect(get['x-permission']).toBe('iam.read');
    const settings = resolve(document, propertiesOf(okOf(document, get))['settings']);
    expect(settings['description']).toMatch(/^The lifetimes of the tokens an instance issues over OIDC\./);
    expect(propertiesOf(settings)['accessTokenLifetime']).toEqual({ ...DURATION, example: '43200s', description: 'How long an access token is valid.' });

    const post = operationOf(document, '/admin/v1/settings/oidc', 'post');
    expect(post.summary).toBe('Add OIDC settings');
    expect(Object.keys(propertiesOf(bodyOf(document, post)))).toHaveLength(4);
    expect(Object.keys(post.responses)).toEqual(['200', '400', '401', '403', '409', 'default']);
  });

  it('refuses mounts the router was not compiled with', () => {
    const schema = schemaFromDescriptorSet(descriptors);
    expect(() => openApiDocument(schema, routerCompile(schema, MOUNTS), { title: 't', version: '1', mounts: {} })).toThrow(/not mounted at ""/);
  });
});

describe('the library proto: path, query and body bindings', () => {
  let document: OpenApiDocument;
  beforeAll(() => {
    document = documentOf(libraryDescriptorSet(), {});
  });

  it('is valid', () => {
    expect(validateOpenApi(document)).toEqual({ valid: true });
    expectConsistent(document);
  });

  it('documents a multi-segment variable as one parameter with its pattern', () => {
    const get = operationOf(document, '/v1/{name}', 'get');
    expect(get.parameters).toEqual([
      {
        name: 'name',
        in: 'path',
        required: true,
        description: 'Of the form `shelves/*/settings`; its slashes are sent as they are, not percent-encoded.',
        schema: { type: 'string', pattern: '^shelves/[^/]+/settings$' },
      },
    ]);
    expect(operationOf(document, '/v1/files/{path}', 'get').parameters?.[0]?.schema).toEqual({ type: 'string', pattern: '^.*$' });
  });

  it('reads the remaining fields of a GET from the query: JSON names, dotted into messages, arrays for repeated', () => {
    const list = operationOf(document, '/v1/shelves/{shelf}/books', 'get');
    expect(list.parameters?.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(['shelf']);
    expect(queryOf(list)).toEqual({
      pageSize: { type: 'integer', format: 'int32' },
      'filter.author': { type: 'string' },
      'filter.publishedAfter': expect.objectContaining({ type: 'string', format: 'date-time' }) as unknown,
      includeHidden: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
      maxAge: expect.objectContaining(DURATION) as unknown,
      offset: { type: 'string', format: 'int64' },
    });
    // additional_bindings: its own operation, numbered; there no path binds the shelf.
    const all = operationOf(document, '/v1/books', 'get');
    expect(all.operationId).toBe('ListBooks2');
    expect(Object.keys(queryOf(all))).toContain('shelf');
  });

  it('binds nested path fields, and sends a body field without what the path binds', () => {
    const update = operationOf(document, '/v1/shelves/{shelf}/books/{book.id}', 'patch');
    expect(update.parameters?.filter((p) => p.in === 'path')).toEqual([
      { name: 'shelf', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'book.id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(Object.keys(propertiesOf(bodyOf(document, update)))).toEqual(['title', 'loanPeriod']);
    expect(queryOf(update)).toEqual({ validateOnly: { type: 'boolean' } });
  });

  it('keeps a verb literal, sends body "*" without the path fields, and answers the response_body field', () => {
    const move = operationOf(document, '/v1/shelves/{shelf}/books/{id}:move', 'post');
    expect(move.parameters?.map((p) => `${p.in} ${p.name}`)).toEqual(['path shelf', 'path id']);
    expect(Object.keys(propertiesOf(bodyOf(document, move)))).toEqual(['destination']);
    expect(move.responses['200']?.content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/library.v1.MoveBookRequest' });
    // No auth_option: no security, no 401/403; a POST may find the resource there already.
    expect(move.security).toBeUndefined();
    expect(Object.keys(move.responses)).toEqual(['200', '400', '409', 'default']);
  });

  it('takes summaries and descriptions from the comments', () => {
    expect(operationOf(document, '/v1/fail', 'post').summary).toBe('Answers with the status asked for, after the delay asked for.');
    const echo = document.components.schemas['library.v1.Echo']!;
    expect(echo['description']).toMatch(/^Each method answers with the request it received.*\n\nAt most one of `getShelfSettings`, /s);
    expect(propertiesOf(echo)['metadata']).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'The metadata the upstream received, to check what the gateway forwards.',
    });
  });
});

describe('type mappings and name clashes', () => {
  const proto = `syntax = "proto3";
package kitchen.v1;
import "google/api/annotations.proto";
import "google/protobuf/any.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";

service Shelves {
  // Get a shelf
  rpc GetShelf(GetRequest) returns (Shelf) {
    option (google.api.http) = {get: "/v1/{name=shelves/*}"};
  }
  rpc GetBook(GetRequest) returns (google.protobuf.Empty) {
    option (google.api.http) = {get: "/v1/{name=books/*}"};
  }
}
service Other {
  rpc GetShelf(google.protobuf.Empty) returns (google.protobuf.Empty) {
    option (google.api.http) = {get: "/v2/shelf"};
  }
}

message Shelf {
  // What a shelf is made of.
  enum Kind {
    KIND_UNSPECIFIED = 0;
    KIND_WOOD = 1;
  }
  Kind kind = 1;
  bytes cover = 2;
  uint32 capacity = 3;
  sint64 offset = 4;
  fixed64 serial = 5;
  double rating = 6;
  float weight = 7;
  map<string, int64> counts = 8;
  repeated Shelf children = 9;
  google.protobuf.Any extra = 10;
  google.protobuf.Struct labels = 11;
  google.protobuf.Value value = 12;
  google.protobuf.Int32Value limit = 13;
  google.protobuf.BoolValue hidden = 14;
  google.protobuf.FieldMask mask = 15;
  google.protobuf.NullValue nothing = 16;
  repeated Kind kinds = 17;
  // The shelf this one stands in.
  Shelf parent_shelf = 18;
}

message GetRequest {
  string name = 1;
  Shelf.Kind kind = 2;
  GetRequest parent = 3;
  google.protobuf.BoolValue hidden = 4;
  google.protobuf.Int32Value limit = 5;
  map<string, string> labels = 6;
  repeated Shelf shelves = 7;
  google.protobuf.FieldMask mask = 8;
}
`;
  let document: OpenApiDocument;
  beforeAll(() => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-proto-'));
    fs.cpSync(path.join(ROOT, 'proto/google/api'), path.join(folder, 'google/api'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'kitchen/v1'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'kitchen/v1/kitchen.proto'), proto);
    document = documentOf(libraryDescriptorSet(folder), {});
  });

  it('is valid', () => {
    expect(validateOpenApi(document)).toEqual({ valid: true });
    expectConsistent(document);
  });

  it('maps fields to proto3 JSON: 64-bit integers as strings, enums by name, maps, well-known types inline', () => {
    const shelf = document.components.schemas['kitchen.v1.Shelf']!;
    expect(propertiesOf(shelf)).toEqual({
      kind: { $ref: '#/components/schemas/kitchen.v1.Shelf.Kind' },
      cover: { type: 'string', format: 'byte' },
      capacity: { type: 'integer', format: 'uint32', minimum: 0 },
      offset: { type: 'string', format: 'int64' },
      serial: { type: 'string', format: 'uint64' },
      rating: { type: 'number', format: 'double' },
      weight: { type: 'number', format: 'float' },
      counts: { type: 'object', additionalProperties: { type: 'string', format: 'int64' } },
      children: { type: 'array', items: { $ref: '#/components/schemas/kitchen.v1.Shelf' } },
      extra: { type: 'object', properties: { '@type': { type: 'string' } }, required: ['@type'], additionalProperties: true },
      labels: { type: 'object', additionalProperties: true },
      value: {},
      limit: { type: 'integer', format: 'int32' },
      hidden: { type: 'boolean' },
      mask: expect.objectContaining({ type: 'string' }) as unknown,
      nothing: { nullable: true, enum: [null] },
      kinds: { type: 'array', items: { $ref: '#/components/schemas/kitchen.v1.Shelf.Kind' } },
      // OpenAPI 3.0 ignores the siblings of a $ref.
      parentShelf: { allOf: [{ $ref: '#/components/schemas/kitchen.v1.Shelf' }], description: 'The shelf this one stands in.' },
    });
    expect(document.components.schemas['kitchen.v1.Shelf.Kind']).toEqual({
      type: 'string',
      enum: ['KIND_UNSPECIFIED', 'KIND_WOOD'],
      description: 'What a shelf is made of.',
    });
    // Empty is a well-known type: written inline, never a component.
    expect(operationOf(document, '/v2/shelf', 'get').responses['200']?.content?.['application/json'].schema).toEqual({ type: 'object' });
  });

  it('reads from the query only what the gateway can bind there, and stops at a recursive message', () => {
    const get = operationOf(document, '/v1/{name}', 'get');
    expect(Object.keys(queryOf(get))).toEqual(['kind', 'limit', 'mask']);
  });

  it('keeps operationIds unique and notes a route OpenAPI cannot list apart', () => {
    const get = operationOf(document, '/v1/{name}', 'get');
    expect(get.operationId).toBe('GetShelf');
    expect(get.summary).toBe('Get a shelf');
    expect(get.description).toBe('Also answers GET /v1/{name=books/*} (GetBook): OpenAPI 3 cannot list it apart from this path.');
    expect(operationOf(document, '/v2/shelf', 'get').operationId).toBe('Other_GetShelf');
  });
});

describe('GET /openapi.json', () => {
  const descriptors = fs.readFileSync(path.join(ROOT, 'gen/descriptors.binpb'));
  const document = documentOf(descriptors, MOUNTS);
  const route = openApiRoute(() => document);

  function serve(headers: Record<string, string> = {}) {
    const sent: { status?: number; headers?: Record<string, unknown>; body?: unknown } = {};
    const response = {
      writeHead(status: number, h: Record<string, unknown>) {
        Object.assign(sent, { status, headers: h });
        return response;
      },
      end(body?: unknown) {
        sent.body = body;
        return response;
      },
    };
    void route.handle({ headers } as unknown as IncomingMessage, response as unknown as ServerResponse);
    return sent;
  }

  it('serves the document serialized once, as JSON, with cache headers', () => {
    expect(route).toMatchObject({ method: 'GET', path: '/openapi.json' });
    const first = serve();
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    expect(JSON.parse(String(first.body))).toEqual(document);
    expect(serve().body).toBe(first.body);
  });

  it('answers 304 to a client that has it', () => {
    const etag = serve().headers?.['etag'] as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = serve({ 'if-none-match': `W/"other", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
  });
});
