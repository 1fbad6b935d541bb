/**
 * Runs in Chromium, not in Node: connect-web.test.ts bundles this file with
 * esbuild (connect-es's browser transport, its client and the generated
 * AdminService) and evaluates it in a page. It installs one function on the
 * page's global object, `connectCall`, which makes a call with a real
 * connect-web client (createConnectTransport over the browser's fetch) and
 * answers in plain JSON, read as a connect-es user reads it: the code, the
 * raw message, and the details through findDetails.
 */
import { ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { type DescMessage, type DescMethodUnary, type JsonObject, type JsonValue, type MessageShape, fromJson, toJson } from '@bufbuild/protobuf';
import { AdminService } from '../../gen/es/zitadel/admin_pb';
import { ErrorDetailSchema } from '../../gen/es/zitadel/message_pb';
import { BadRequestSchema } from '../../gen/es/google/rpc/error_details_pb';

export interface BrowserCall {
  /** Where the gateway is: the page's own origin, or another one (CORS). */
  readonly baseUrl: string;
  readonly method: 'getOIDCSettings' | 'addOIDCSettings' | 'updateOIDCSettings';
  /** The request in proto3 JSON. */
  readonly request: JsonObject;
  readonly token?: string;
  /** application/proto rather than application/json. */
  readonly binary: boolean;
}

/** What came back, as in test/helpers/protocols.ts's Result. */
export interface BrowserResult {
  readonly code: number;
  readonly message: string;
  /** zitadel.v1.ErrorDetail id */
  readonly id?: string;
  /** google.rpc.BadRequest fields */
  readonly violations?: string[];
  /** The response in proto3 JSON, for OK. */
  readonly json?: JsonValue;
}

/** The page's global object once this bundle ran. */
export interface ConnectGlobal {
  connectCall(call: BrowserCall): Promise<BrowserResult>;
}

async function connectCall({ baseUrl, method, request, token, binary }: BrowserCall): Promise<BrowserResult> {
  const client = createClient(AdminService, createConnectTransport({ baseUrl, useBinaryFormat: binary }));
  const m = AdminService.method[method] as DescMethodUnary;
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  try {
    const call = client[method] as (req: unknown, options: object) => Promise<MessageShape<DescMessage>>;
    const response = await call(fromJson(m.input, request), { headers });
    return { code: 0, message: '', json: toJson(m.output, response) };
  } catch (error) {
    const e = ConnectError.from(error);
    return {
      code: e.code,
      message: e.rawMessage,
      id: e.findDetails(ErrorDetailSchema)[0]?.id,
      violations: (e.findDetails(BadRequestSchema)[0]?.fieldViolations ?? []).map((v) => v.field).sort(),
    };
  }
}

const global: ConnectGlobal = { connectCall };
Object.assign(globalThis, global);
