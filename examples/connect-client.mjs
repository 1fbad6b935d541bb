// Calling the service with connect-es, over any of its transports, with
// ZITADEL's published schema (npm install @connectrpc/connect
// @connectrpc/connect-node @zitadel/proto).
// Run: TOKEN=$(cat data/admin.pat) TRANSPORT=connect BASE_URL=http://localhost:8080 node examples/connect-client.mjs
// TRANSPORT: connect (JSON), connect-binary or grpc-web, to the HTTP port;
// grpc to the gRPC port (BASE_URL=http://localhost:50051). In a browser,
// createConnectTransport and createGrpcWebTransport come from @connectrpc/connect-web.
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { AdminService } from '@zitadel/proto/zitadel/admin_pb.js';
import { ErrorDetailSchema } from '@zitadel/proto/zitadel/message_pb.js';

const baseUrl = process.env.BASE_URL ?? 'http://localhost:8080';
const bearer = (next) => (request) => {
  request.header.set('authorization', `Bearer ${process.env.TOKEN}`);
  return next(request);
};
const transports = {
  connect: () => createConnectTransport({ baseUrl, httpVersion: '1.1', interceptors: [bearer] }),
  'connect-binary': () => createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: true, interceptors: [bearer] }),
  'grpc-web': () => createGrpcWebTransport({ baseUrl, httpVersion: '1.1', interceptors: [bearer] }),
  grpc: () => createGrpcTransport({ baseUrl, interceptors: [bearer] }),
};
const admin = createClient(AdminService, transports[process.env.TRANSPORT ?? 'connect']());
const hours = (h) => ({ seconds: BigInt(h * 3600) });

try {
  const { details } = await admin.updateOIDCSettings({
    accessTokenLifetime: hours(1),
    idTokenLifetime: hours(1),
    refreshTokenIdleExpiration: hours(24),
    refreshTokenExpiration: hours(24 * 7),
  });
  const { settings } = await admin.getOIDCSettings({});
  console.log(`updated, sequence ${details.sequence}; access tokens live ${settings.accessTokenLifetime.seconds}s`);
} catch (error) {
  const e = ConnectError.from(error);
  // ZITADEL's error id, as a detail: e.g. "Unauthenticated [AUTH-7fs1e]: Token is invalid (AUTH-7fs1e)".
  console.error(`${Code[e.code]} [${e.findDetails(ErrorDetailSchema)[0]?.id}]: ${e.rawMessage}`);
  process.exitCode = 1;
}
