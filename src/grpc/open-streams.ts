import * as grpc from '@grpc/grpc-js';

type StreamCall = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** A request message its method's deserializer could not read. */
class Undecodable {
  constructor(readonly path: string) {}

  get status(): Partial<grpc.StatusObject> {
    return { code: grpc.status.INVALID_ARGUMENT, details: `cannot decode the request message of ${this.path}` };
  }
}

/**
 * Stands in for the server when health and reflection register themselves:
 * - their streaming calls are known, so they can be ended on shutdown;
 * - their requests are decoded here: grpc-js answers a deserializer's throw
 *   with INTERNAL ("Error deserializing request"), a server fault, where the
 *   client sent bytes that are not the message (INVALID_ARGUMENT).
 */
export class OpenStreams {
  private readonly open = new Set<StreamCall>();

  constructor(private readonly server: grpc.Server) {}

  addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    const definitions: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    const wrapped: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(service)) {
      // Implementations may be keyed by the method's name or its camelCase form.
      const handler = implementation[name] ?? (method.originalName && implementation[method.originalName]);
      if (!handler) continue;
      const deserialize = method.requestDeserialize;
      definitions[name] = {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return deserialize(bytes) as unknown;
          } catch {
            return new Undecodable(method.path);
          }
        },
      };
      wrapped[name] = this.guard(method, handler);
    }
    this.server.addService(definitions, wrapped);
  }

  endAll(): void {
    for (const call of this.open) call.end();
    this.open.clear();
  }

  private guard(method: grpc.MethodDefinition<unknown, unknown>, handler: grpc.UntypedHandleCall): grpc.UntypedHandleCall {
    if (method.requestStream) {
      // Messages reach the handler through push(); an undecodable one ends the call instead.
      return (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        const push = call.push.bind(call);
        call.push = (message: unknown) => {
          if (!(message instanceof Undecodable)) return push(message);
          call.emit('error', message.status);
          return false;
        };
        if (method.responseStream) this.track(call);
        (handler as (call: StreamCall) => void)(call);
      };
    }
    if (method.responseStream) {
      return (call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (call.request instanceof Undecodable) {
          call.emit('error', call.request.status);
          return;
        }
        this.track(call);
        (handler as (call: StreamCall) => void)(call);
      };
    }
    return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      if (call.request instanceof Undecodable) {
        callback(call.request.status);
        return;
      }
      (handler as grpc.handleUnaryCall<unknown, unknown>)(call, callback);
    };
  }

  private track(call: StreamCall): void {
    this.open.add(call);
    call.once('close', () => this.open.delete(call));
  }
}
