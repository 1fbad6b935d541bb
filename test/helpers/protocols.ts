/**
 * One call, seven ways in. Each caller sends the same request (as proto3
 * JSON) and reports the outcome the same way, so a table test can demand
 * the same code, error id and result whatever the protocol:
 *   grpc              @grpc/grpc-js
 *   grpc-web          @improbable-eng/grpc-web + its Node HTTP transport (the user's client)
 *   connect-grpc-web  @connectrpc/connect-node createGrpcWebTransport (an independent client)
 *   connect-json      @connectrpc/connect-node createConnectTransport, the Connect protocol with JSON bodies
 *   connect-proto     the same, with binary (application/proto) bodies
 *   grpc-web-text     raw fetch, base64 framing written here
 *   rest              fetch against the google.api.http routes
 */
import * as grpc from '@grpc/grpc-js';
import { grpc as improbable } from '@improbable-eng/grpc-web';
import { NodeHttpTransport } from '@improbable-eng/grpc-web-node-http-transport';
import { type Transport, Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import {
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  type JsonObject,
  type JsonValue,
  type MessageShape,
  createRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import { AdminService } from '../../gen/es/zitadel/admin_pb';
import { ErrorDetailSchema } from '../../gen/es/zitadel/message_pb';
import { BadRequestSchema } from '../../gen/es/google/rpc/error_details_pb';
import { decodeStatusDetails } from './status-details';
import { trailerParse } from '../../gateway/grpc-web/trailer';
import { grpcMessageDecode } from '../../gateway/grpc-web/grpc-message';
import { codeToHttpStatus } from '../../gateway/http-status';

export type MethodName = 'getOIDCSettings' | 'addOIDCSettings' | 'updateOIDCSettings';
export type Protocol = 'grpc' | 'grpc-web' | 'connect-grpc-web' | 'connect-json' | 'connect-proto' | 'grpc-web-text' | 'rest';
export const PROTOCOLS: readonly Protocol[] = ['grpc', 'grpc-web', 'connect-grpc-web', 'connect-json', 'connect-proto', 'grpc-web-text', 'rest'];

/** What a call came back with, whatever carried it. */
export interface Result {
  readonly code: number;
  readonly message: string;
  /** zitadel.v1.ErrorDetail id */
  readonly id?: string;
  /** google.rpc.BadRequest fields */
  readonly violations?: string[];
  /** The response in proto3 JSON, for OK. */
  readonly json?: JsonValue;
}

export interface Endpoints {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** For the HTTP callers: "http" unless said otherwise, on 127.0.0.1. */
  readonly scheme?: 'http' | 'https';
  readonly host?: string;
}

/** `authScheme` is the authorization scheme sent before the token (RFC 7235 makes it case-insensitive). */
export type Caller = (method: MethodName, request: JsonObject, token?: string, authScheme?: string) => Promise<Result>;

const registry = createRegistry(ErrorDetailSchema, BadRequestSchema);
const methodOf = (name: MethodName) => AdminService.method[name] as DescMethodUnary;
const path = (m: DescMethodUnary) => `/${m.parent.typeName}/${m.name}`;
const encode = (m: DescMethodUnary, request: JsonObject) => toBinary(m.input, fromJson(m.input, request));
const decode = (m: DescMethodUnary, bytes: Uint8Array) => toJson(m.output, fromBinary(m.output, bytes));

function fromDetails(code: number, message: string, details: Uint8Array | undefined): Result {
  if (!details) return { code, message };
  const decoded = decodeStatusDetails(details);
  return { code, message, id: decoded.id, violations: Object.keys(decoded.violations).sort() };
}

export function grpcCaller({ grpcPort }: Endpoints): Caller & { close(): void } {
  const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const call: Caller = (name, request, token, authScheme = 'Bearer') => {
    const m = methodOf(name);
    const metadata = new grpc.Metadata();
    if (token) metadata.set('authorization', `${authScheme} ${token}`);
    return new Promise((resolve) =>
      client.makeUnaryRequest(path(m), (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, encode(m, request), metadata, (error, response) => {
        if (!error) return resolve({ code: 0, message: '', json: decode(m, response!) });
        const bin = error.metadata?.get('grpc-status-details-bin')[0];
        resolve(fromDetails(error.code, error.details, bin instanceof Buffer ? bin : undefined));
      }),
    );
  };
  return Object.assign(call, { close: () => client.close() });
}

/** Wraps a @bufbuild message in the google-protobuf-like shape improbable's client expects. */
export function improbableMethod(
  m: Pick<DescMethod, 'name' | 'parent' | 'input' | 'output'>,
  request: JsonObject,
): improbable.UnaryMethodDefinition<improbable.ProtobufMessage, improbable.ProtobufMessage> {
  const wrap = (schema: DescMessage, message: MessageShape<DescMessage>): improbable.ProtobufMessage => ({
    serializeBinary: () => toBinary(schema, message),
    toObject: () => toJson(schema, message) as object,
  });
  class Request {
    static deserializeBinary(bytes: Uint8Array) {
      return wrap(m.input, fromBinary(m.input, bytes));
    }
    serializeBinary() {
      return toBinary(m.input, fromJson(m.input, request));
    }
    toObject() {
      return request;
    }
  }
  class Response {
    static deserializeBinary(bytes: Uint8Array) {
      return wrap(m.output, fromBinary(m.output, bytes));
    }
    serializeBinary(): Uint8Array {
      throw new Error('not sent');
    }
    toObject() {
      return {};
    }
  }
  return {
    methodName: m.name,
    service: { serviceName: m.parent.typeName },
    requestStream: false,
    responseStream: false,
    requestType: Request,
    responseType: Response,
  };
}

export function improbableCaller({ httpPort, scheme = 'http', host = '127.0.0.1' }: Endpoints): Caller {
  return (name, request, token, authScheme = 'Bearer') => {
    const m = methodOf(name);
    const descriptor = improbableMethod(m, request);
    return new Promise((resolve) => {
      improbable.unary(descriptor, {
        host: `${scheme}://${host}:${httpPort}`,
        request: new descriptor.requestType(),
        metadata: token ? { authorization: `${authScheme} ${token}` } : {},
        transport: NodeHttpTransport(),
        onEnd: (output) => {
          if (output.status === improbable.Code.OK && output.message) {
            resolve({ code: 0, message: '', json: output.message.toObject() as JsonValue });
            return;
          }
          const bin = output.trailers.get('grpc-status-details-bin')[0] ?? output.headers.get('grpc-status-details-bin')[0];
          resolve(fromDetails(output.status, output.statusMessage, bin ? Buffer.from(bin, 'base64') : undefined));
        },
      });
    });
  };
}

/** A connect-es client over any of its transports; errors read as connect-es reads them (findDetails). */
function connectClientCaller(transport: Transport, checkError?: (error: ConnectError) => void): Caller {
  const client = createClient(AdminService, transport);
  return async (name, request, token, authScheme = 'Bearer') => {
    const m = methodOf(name);
    const headers: Record<string, string> = token ? { authorization: `${authScheme} ${token}` } : {};
    try {
      const call = client[name] as (req: unknown, options: object) => Promise<MessageShape<DescMessage>>;
      const response = await call(fromJson(m.input, request), { headers });
      return { code: 0, message: '', json: toJson(m.output, response) };
    } catch (error) {
      const e = ConnectError.from(error);
      checkError?.(e);
      const detail = e.findDetails(ErrorDetailSchema)[0];
      const bad = e.findDetails(BadRequestSchema)[0];
      return {
        code: e.code,
        message: e.rawMessage,
        id: detail?.id,
        violations: bad ? bad.fieldViolations.map((v) => v.field).sort() : [],
      };
    }
  };
}

export function connectCaller({ httpPort }: Endpoints): Caller {
  return connectClientCaller(createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${httpPort}`, httpVersion: '1.1' }));
}

/**
 * The Connect protocol itself (POST /pkg.Service/Method, the bare message as
 * application/json or application/proto, errors as Connect error JSON). A
 * Connect error's metadata are the answer's headers: a 401 must carry
 * WWW-Authenticate there as on REST.
 */
export function connectProtocolCaller({ httpPort }: Endpoints, format: 'json' | 'proto'): Caller {
  const transport = createConnectTransport({ baseUrl: `http://127.0.0.1:${httpPort}`, httpVersion: '1.1', useBinaryFormat: format === 'proto' });
  return connectClientCaller(transport, (e) => {
    if (e.code === Code.Unauthenticated && !e.metadata.get('www-authenticate')) throw new Error('Connect 401 without WWW-Authenticate');
  });
}

/** gRPC-Web text mode by hand: base64 of the framed request; the response may be several padded chunks. */
export function grpcWebTextCaller({ httpPort }: Endpoints): Caller {
  return async (name, request, token, authScheme = 'Bearer') => {
    const m = methodOf(name);
    const payload = encode(m, request);
    const frame = Buffer.alloc(5 + payload.length);
    frame.writeUInt32BE(payload.length, 1);
    frame.set(payload, 5);
    const headers: Record<string, string> = {
      'content-type': 'application/grpc-web-text',
      accept: 'application/grpc-web-text',
      'x-grpc-web': '1',
    };
    if (token) headers['authorization'] = `${authScheme} ${token}`;
    const response = await fetch(`http://127.0.0.1:${httpPort}${path(m)}`, { method: 'POST', headers, body: frame.toString('base64') });
    const text = await response.text();
    const fields: Record<string, string> = {};
    for (const key of ['grpc-status', 'grpc-message', 'grpc-status-details-bin']) {
      const value = response.headers.get(key);
      if (value !== null) fields[key] = value;
    }
    let message: Uint8Array | undefined;
    // Each chunk is padded base64 of whole frames.
    for (const chunk of text.match(/[^=]*=*/g)!.filter((c) => c !== '')) {
      let bytes = Buffer.from(chunk, 'base64');
      while (bytes.length >= 5) {
        const length = bytes.readUInt32BE(1);
        const body = bytes.subarray(5, 5 + length);
        if (bytes[0]! & 0x80) Object.assign(fields, trailerParse(body));
        else message = body;
        bytes = bytes.subarray(5 + length);
      }
    }
    const code = Number(fields['grpc-status']);
    if (code === 0) return { code, message: '', json: decode(m, message!) };
    const bin = fields['grpc-status-details-bin'];
    return fromDetails(code, grpcMessageDecode(fields['grpc-message'] ?? ''), bin ? Buffer.from(bin, 'base64') : undefined);
  };
}

const REST_ROUTES: Record<MethodName, { method: string; body: boolean }> = {
  getOIDCSettings: { method: 'GET', body: false },
  addOIDCSettings: { method: 'POST', body: true },
  updateOIDCSettings: { method: 'PUT', body: true },
};

export function restCaller({ httpPort }: Endpoints): Caller {
  return async (name, request, token, authScheme = 'Bearer') => {
    const route = REST_ROUTES[name];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers['authorization'] = `${authScheme} ${token}`;
    const response = await fetch(`http://127.0.0.1:${httpPort}/admin/v1/settings/oidc`, {
      method: route.method,
      headers,
      body: route.body ? JSON.stringify(request) : undefined,
    });
    const json = (await response.json()) as JsonObject;
    if (response.status === 200) return { code: 0, message: '', json };
    const code = json['code'] as number;
    if (response.status !== codeToHttpStatus(code)) throw new Error(`HTTP ${response.status} for code ${code}`);
    if (code === 16 && !response.headers.get('www-authenticate')) throw new Error('401 without WWW-Authenticate');
    const details = (json['details'] ?? []) as JsonObject[];
    const detail = details.find((d) => d['@type'] === 'type.googleapis.com/zitadel.v1.ErrorDetail');
    const bad = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
    const violations = ((bad?.['fieldViolations'] ?? []) as JsonObject[]).map((v) => v['field'] as string).sort();
    return { code, message: json['message'] as string, id: detail?.['id'] as string | undefined, violations };
  };
}

export function callersFor(endpoints: Endpoints): Record<Protocol, Caller> & { close(): void } {
  const grpcCall = grpcCaller(endpoints);
  return {
    grpc: grpcCall,
    'grpc-web': improbableCaller(endpoints),
    'connect-grpc-web': connectCaller(endpoints),
    'connect-json': connectProtocolCaller(endpoints, 'json'),
    'connect-proto': connectProtocolCaller(endpoints, 'proto'),
    'grpc-web-text': grpcWebTextCaller(endpoints),
    rest: restCaller(endpoints),
    close: () => grpcCall.close(),
  };
}

export { registry as detailRegistry };
