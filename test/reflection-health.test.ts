/**
 * What grpcurl, buf curl and load balancers rely on: server reflection (v1
 * and v1alpha) describing the real files, and grpc.health.v1.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { type FileDescriptorProto, FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { type TestServer, startTestServer } from './helpers/server';

const reflectionProto = (version: string) =>
  path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection', version, 'reflection.proto');

type Stream = grpc.ClientDuplexStream<object, Record<string, unknown>>;

function reflectionClient(port: number, version: 'v1' | 'v1alpha') {
  const pkg = grpc.loadPackageDefinition(loadSync(reflectionProto(version), { longs: String, defaults: true })) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  const Client = pkg.grpc.reflection[version]!.ServerReflection;
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** One request on a reflection stream, one response. */
function ask(stream: Stream, request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    stream.once('data', resolve);
    stream.once('error', reject);
    stream.write(request);
  });
}

describe('server reflection', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it.each(['v1', 'v1alpha'] as const)('%s lists the services and serves a linkable AdminService schema', async (version) => {
    const client = reflectionClient(server.grpcPort, version);
    const stream = (client as unknown as { ServerReflectionInfo(): Stream }).ServerReflectionInfo();
    try {
      const list = await ask(stream, { listServices: '*' });
      const names = (list['listServicesResponse'] as { service: Array<{ name: string }> }).service.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['zitadel.admin.v1.AdminService', 'grpc.health.v1.Health']));

      // Fetch the file holding the service, then every import by name, as grpcurl does.
      const files = new Map<string, FileDescriptorProto>();
      const take = (answer: Record<string, unknown>) => {
        const response = answer['fileDescriptorResponse'] as { fileDescriptorProto: Buffer[] } | undefined;
        if (!response) throw new Error(`reflection error: ${JSON.stringify(answer['errorResponse'])}`);
        for (const bytes of response.fileDescriptorProto) {
          const file = fromBinary(FileDescriptorProtoSchema, bytes);
          files.set(file.name, file);
        }
      };
      take(await ask(stream, { fileContainingSymbol: 'zitadel.admin.v1.AdminService' }));
      expect(files.has('zitadel/admin.proto')).toBe(true);
      for (let missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d)); missing.length > 0; ) {
        for (const name of missing) take(await ask(stream, { fileByFilename: name }));
        missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d));
      }

      // Links the schema from what reflection served: imports first, then importers.
      const ordered: FileDescriptorProto[] = [];
      const visit = (name: string) => {
        const file = files.get(name)!;
        if (ordered.includes(file)) return;
        file.dependency.forEach(visit);
        ordered.push(file);
      };
      visit('zitadel/admin.proto');
      const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
      const service = registry.getService('zitadel.admin.v1.AdminService');
      expect(service?.methods.map((m) => m.name)).toEqual(['GetOIDCSettings', 'AddOIDCSettings', 'UpdateOIDCSettings']);
      const update = service!.methods.find((m) => m.name === 'UpdateOIDCSettings')!;
      expect(update.input.typeName).toBe('zitadel.admin.v1.UpdateOIDCSettingsRequest');
      expect(update.output.field['details']?.message?.typeName).toBe('zitadel.v1.ObjectDetails');
      expect(update.input.fields.map((f) => [f.name, f.number])).toEqual([
        ['access_token_lifetime', 1],
        ['id_token_lifetime', 2],
        ['refresh_token_idle_expiration', 3],
        ['refresh_token_expiration', 4],
      ]);
      // @grpc/reflection re-encodes files with protobufjs, which keeps no
      // custom options (auth_option, google.api.http); clients need none.
    } finally {
      stream.end();
      client.close();
    }
  });
});

describe('health', () => {
  const pkg = grpc.loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  type HealthClient = grpc.Client & {
    Check(req: object, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void): void;
    Watch(req: object): grpc.ClientReadableStream<{ status: string }>;
  };
  const check = (client: HealthClient, service: string) =>
    new Promise<string>((resolve, reject) =>
      client.Check({ service }, (error, response) => (error ? reject(error) : resolve(response!.status))),
    );

  it('is SERVING once started, for the server and the AdminService, and NOT_SERVING while shutting down', async () => {
    // A grace longer than the test's timeout: a Watch stream holding the
    // shutdown up would fail the test.
    const server = await startTestServer({ SHUTDOWN_GRACE: '120s' });
    const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
    expect(await check(client, '')).toBe('SERVING');
    expect(await check(client, 'zitadel.admin.v1.AdminService')).toBe('SERVING');
    await expect(check(client, 'no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });

    const seen: string[] = [];
    const watch = client.Watch({ service: '' });
    const notServing = new Promise<void>((resolve) =>
      watch.on('data', ({ status }: { status: string }) => {
        seen.push(status);
        if (status === 'NOT_SERVING') resolve();
      }),
    );
    watch.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const stopped = server.stop();
    await notServing;
    await stopped;
    expect(seen[0]).toBe('SERVING');
    expect(seen).toContain('NOT_SERVING');
    client.close();
  });
});
