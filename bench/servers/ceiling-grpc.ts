/**
 * The gRPC ceiling: a bare @grpc/grpc-js server built from the same
 * descriptor set, answering UpdateOIDCSettings and GetOIDCSettings with a
 * constant response: no auth, no storage, proto-loader's own (de)serializers.
 * What grpc-js and this machine can do at best for these messages.
 *
 * node dist/bench/servers/ceiling-grpc.js <port>
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { type ServiceDefinition, loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { DESCRIPTOR_SET_PATH } from '../../src/paths';

const port = Number(process.argv[2]);
const definition = loadFileDescriptorSetFromBuffer(fs.readFileSync(DESCRIPTOR_SET_PATH), { longs: String, defaults: true });
const service = definition['zitadel.admin.v1.AdminService'] as ServiceDefinition;

// Shaped like the real answers, so response sizes are alike.
const details = {
  sequence: '1000003',
  creationDate: { seconds: '1795708255', nanos: 692000000 },
  changeDate: { seconds: '1795708261', nanos: 540000000 },
  resourceOwner: '647897833548873536',
};
const hours = (h: number) => ({ seconds: String(h * 3600), nanos: 0 });
const updateResponse = { details };
const getResponse = {
  settings: {
    details,
    accessTokenLifetime: hours(12),
    idTokenLifetime: hours(12),
    refreshTokenIdleExpiration: hours(720),
    refreshTokenExpiration: hours(2160),
  },
};

const constant =
  (response: object): grpc.handleUnaryCall<unknown, unknown> =>
  (_call, callback) =>
    callback(null, response);

const server = new grpc.Server();
server.addService(service, {
  UpdateOIDCSettings: constant(updateResponse),
  GetOIDCSettings: constant(getResponse),
});
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stdout.write(`${JSON.stringify({ msg: 'ready', port })}\n`);
});
process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
