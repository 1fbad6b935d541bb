/**
 * A small gRPC upstream for the test-only library.v1.LibraryService: every
 * method echoes the request it decoded (and the metadata it received);
 * Fail answers with the status asked for, after the delay asked for. Every
 * answer carries the header x-echo-header and the trailer x-echo-trailer
 * (the method's name). It knows nothing of HTTP: whatever the gateway does,
 * it does from the protos.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { BadRequestSchema } from '../../gen/es/google/rpc/error_details_pb';
import { StatusSchema } from '../../gen/es/google/rpc/status_pb';
import { tempDir } from './server';

const ROOT = path.join(__dirname, '../..');

/** library.proto plus the google/api files it imports, in a folder of their own, as a user would hand them to the gateway. */
export function libraryProtoFolder(): string {
  const dir = tempDir('library-proto-');
  fs.cpSync(path.join(ROOT, 'test/fixtures/proto'), dir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'proto/google/api'), path.join(dir, 'google/api'), { recursive: true });
  return dir;
}

export function libraryDescriptorSet(folder = libraryProtoFolder()): Buffer {
  return execFileSync(path.join(ROOT, 'node_modules/.bin/buf'), ['build', folder, '--as-file-descriptor-set', '-o', '-#format=binpb']);
}

export interface LibraryUpstream {
  readonly port: number;
  /** Methods whose calls the client (the gateway) cancelled. */
  readonly cancelled: string[];
  stop(): Promise<void>;
}

export async function startLibraryUpstream(descriptorSet: Uint8Array, port = 0): Promise<LibraryUpstream> {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  const service = registry.getService('library.v1.LibraryService')!;
  const echo = registry.getMessage('library.v1.Echo')!;
  const definition = loadFileDescriptorSetFromBuffer(Buffer.from(descriptorSet))['library.v1.LibraryService'] as grpc.ServiceDefinition;
  const cancelled: string[] = [];
  const server = new grpc.Server();
  const identity = (b: Buffer) => b;
  const serviceDef: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};

  for (const method of service.methods) {
    serviceDef[method.name] = {
      ...(definition[method.name] as grpc.MethodDefinition<Buffer, Buffer>),
      requestDeserialize: identity,
      responseSerialize: identity,
    };
    const slot = echo.fields.find((f) => f.message?.typeName === method.input.typeName)!;
    implementation[method.name] = ((call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      call.on('cancelled', () => cancelled.push(method.name));
      // Response metadata in both places, for the protocols to carry: x-echo-header, x-echo-trailer.
      const headers = new grpc.Metadata();
      headers.set('x-echo-header', method.name);
      call.sendMetadata(headers);
      const trailer = () => {
        const t = new grpc.Metadata();
        t.set('x-echo-trailer', method.name);
        return t;
      };
      const request = fromBinary(method.input, call.request);
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(call.metadata.getMap())) metadata[key] = String(value);
      const answer = () => {
        if (method.name === 'Fail') {
          const ask = request as unknown as { code: number; message: string; withDetails: boolean };
          const trailers = trailer();
          if (ask.withDetails) {
            const status = create(StatusSchema, {
              code: ask.code,
              message: ask.message,
              details: [anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: [{ field: 'code', description: 'as asked' }] }))],
            });
            trailers.set('grpc-status-details-bin', Buffer.from(toBinary(StatusSchema, status)));
          }
          if (ask.code !== 0) {
            callback(Object.assign(new Error(ask.message), { code: ask.code, details: ask.message, metadata: trailers }));
            return;
          }
        }
        const response = create(echo, {
          request: { case: slot.localName, value: request },
          metadata,
        });
        callback(null, Buffer.from(toBinary(echo, response)), trailer());
      };
      const delay = (request as unknown as { delayMs?: number }).delayMs ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    }) as grpc.handleUnaryCall<Buffer, Buffer>;
  }
  server.addService(serviceDef, implementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port: bound,
    cancelled,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
