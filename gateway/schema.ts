import {
  type DescMethod,
  type FileRegistry,
  type Registry,
  createFileRegistry,
  createRegistry,
  fromBinary,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { BadRequestSchema } from '../gen/es/google/rpc/error_details_pb';
import { StatusSchema } from '../gen/es/google/rpc/status_pb';

/** What the gateway knows of the services it fronts, learned from a descriptor set. */
export interface Schema {
  readonly files: FileRegistry;
  /** For JSON: the descriptors plus google.rpc.Status and BadRequest, so error details always decode. */
  readonly registry: Registry;
  /** Every unary method by gRPC path, e.g. "/zitadel.admin.v1.AdminService/GetOIDCSettings". */
  readonly methods: ReadonlyMap<string, DescMethod>;
}

/** A FileDescriptorSet, as `buf build` or `protoc --descriptor_set_out --include_imports` writes it. */
export function schemaFromDescriptorSet(bytes: Uint8Array): Schema {
  const files = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const methods = new Map<string, DescMethod>();
  for (const file of files.files) {
    for (const service of file.services) {
      for (const method of service.methods) {
        if (method.methodKind === 'unary') methods.set(`/${service.typeName}/${method.name}`, method);
      }
    }
  }
  const registry = createRegistry(files, StatusSchema, BadRequestSchema);
  return { files, registry, methods };
}
