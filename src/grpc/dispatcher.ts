import {
  type DescMessage,
  type DescMethodUnary,
  type MessageShape,
  fromBinary,
  getOption,
  hasOption,
  toBinary,
} from '@bufbuild/protobuf';
import { auth_option } from '../../gen/es/zitadel/options_pb';
import { type Principal, authorize } from '../domain/access';
import { AppError } from '../domain/app-error';
import { Code } from '../domain/code';
import { errorToResult } from './status';
import type { UnaryHandler, UnaryRequest, UnaryResult } from './unary';

/** One unary method: its descriptor and what it does with a decoded request. */
export interface MethodImpl {
  readonly method: DescMethodUnary;
  handle(request: unknown, principal: Principal): unknown;
}

/**
 * A handler answers with a response message, or with one already encoded
 * (a cached answer that did not change, sent without encoding it again).
 */
export type Answer<O extends DescMessage> = MessageShape<O> | Uint8Array;

/** Binds a handler to a method, with request and response typed by its descriptor. */
export function unary<I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  handle: (request: MessageShape<I>, principal: Principal) => Answer<O> | Promise<Answer<O>>,
): MethodImpl {
  return { method, handle: handle };
}

/** The gRPC path of a method, e.g. "/zitadel.admin.v1.AdminService/GetOIDCSettings". */
export const methodPath = (method: DescMethodUnary): string => `/${method.parent.typeName}/${method.name}`;

/**
 * The permission a method requires, read from its zitadel.v1.auth_option in
 * the proto. A method that declares none is refused at start: access is
 * never granted by omission.
 */
export function requiredPermission(method: DescMethodUnary): string {
  const permission = hasOption(method, auth_option) ? getOption(method, auth_option).permission : '';
  if (permission === '') throw new Error(`${methodPath(method)} declares no zitadel.v1.auth_option permission`);
  return permission;
}

export interface DispatcherOptions {
  readonly methods: readonly MethodImpl[];
  /** The principal behind an `authorization` value (at once when known); throws UNAUTHENTICATED. */
  readonly authenticate: (authorization: string | undefined) => Principal | Promise<Principal>;
  /** Sees every error answered, e.g. to log INTERNAL ones with their cause. */
  readonly onError?: (error: AppError, request: UnaryRequest) => void;
  /** Added to every result's annotations (e.g. the instance id); the token id is added per call. */
  readonly annotations?: Readonly<Record<string, string>>;
}

interface Entry {
  readonly impl: MethodImpl;
  readonly permission: string;
}

/** A request message, or INVALID_ARGUMENT naming its type. */
function decode(method: DescMethodUnary, bytes: Uint8Array): unknown {
  try {
    return fromBinary(method.input, bytes);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new AppError(Code.InvalidArgument, 'RPC-d3c0de', `cannot decode ${method.input.typeName}: ${reason}`);
  }
}

export interface Dispatcher extends UnaryHandler {
  /** The gRPC paths it serves. */
  readonly paths: readonly string[];
}

/**
 * The one place a call goes through, whatever carried it: find the method,
 * authenticate, authorize by the method's declared permission, decode, run,
 * encode; and turn whatever went wrong into a status.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const table = new Map<string, Entry>(
    options.methods.map((impl) => [methodPath(impl.method), { impl, permission: requiredPermission(impl.method) }]),
  );

  const base = options.annotations ?? {};
  // One annotations object per token, not one per call.
  const byToken = new Map<string, Readonly<Record<string, string>>>();
  const annotationsFor = (tokenId: string) => {
    let annotations = byToken.get(tokenId);
    if (!annotations) {
      if (byToken.size >= 1024) byToken.clear();
      annotations = { ...base, token: tokenId };
      byToken.set(tokenId, annotations);
    }
    return annotations;
  };
  const failed = (thrown: unknown, request: UnaryRequest, annotations: Readonly<Record<string, string>>): UnaryResult => {
    const error = AppError.from(thrown);
    options.onError?.(error, request);
    return { ...errorToResult(error), annotations };
  };
  const encode = (entry: Entry, output: Answer<DescMessage>, annotations: Readonly<Record<string, string>>): UnaryResult => {
    const response = output instanceof Uint8Array ? output : toBinary(entry.impl.method.output, output);
    return { code: Code.OK, message: '', response, annotations };
  };
  const run = (entry: Entry, principal: Principal, request: UnaryRequest): Promise<UnaryResult> => {
    const annotations = annotationsFor(principal.tokenId);
    try {
      authorize(principal, entry.permission);
      const output = entry.impl.handle(decode(entry.impl.method, request.message), principal) as Answer<DescMessage> | Promise<Answer<DescMessage>>;
      if (!(output instanceof Promise)) return Promise.resolve(encode(entry, output, annotations));
      return output.then((answer) => encode(entry, answer, annotations)).catch((thrown: unknown) => failed(thrown, request, annotations));
    } catch (thrown) {
      return Promise.resolve(failed(thrown, request, annotations));
    }
  };
  // Not an async function: what is known at once (a remembered token, a
  // Get answered from memory) is answered without an await, whose suspended
  // frame and promises were most of what a call allocated here.
  const dispatch = (request: UnaryRequest): Promise<UnaryResult> => {
    try {
      const entry = table.get(request.method);
      if (!entry) throw new AppError(Code.Unimplemented, 'RPC-n0t1mp', `unknown method ${request.method}`);
      const principal = options.authenticate(request.metadata['authorization']);
      if (!(principal instanceof Promise)) return run(entry, principal, request);
      return principal.then((known) => run(entry, known, request), (thrown: unknown) => failed(thrown, request, base));
    } catch (thrown) {
      return Promise.resolve(failed(thrown, request, base));
    }
  };
  return Object.assign(dispatch, { paths: [...table.keys()] });
}
