import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/**
 * Server reflection (grpc.reflection.v1 and v1alpha, via @grpc/reflection)
 * that answers with the files exactly as buf built them. Given a
 * proto-loader package definition, @grpc/reflection serves proto-loader's
 * regrouped files (with relative type names, and imports that do not match
 * the file names) and leaves out files used only for options, such as
 * descriptor.proto: buf curl and grpcurl then cannot link the schema.
 * Handing it the original FileDescriptorProtos avoids both.
 */
export function createReflectionService(descriptorSets: readonly Uint8Array[]): ReflectionService {
  const files = descriptorSets.flatMap((set) =>
    fromBinary(FileDescriptorSetSchema, set).file.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file))),
  );
  // @grpc/reflection reads nothing but fileDescriptorProtos from the definition.
  const definition = { files: { fileDescriptorProtos: files } } as unknown as PackageDefinition;
  return new ReflectionService(definition);
}
