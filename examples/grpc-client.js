// Calling the service from another Node service with @grpc/grpc-js.
// Run: ADDRESS=localhost:50051 TOKEN=$(cat data/admin.pat) node examples/grpc-client.js
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync('zitadel/admin.proto', {
  includeDirs: [path.join(__dirname, '../proto')],
  longs: String, // uint64 sequence and int64 seconds as strings
  defaults: true,
});
const { AdminService } = grpc.loadPackageDefinition(definition).zitadel.admin.v1;
const client = new AdminService(process.env.ADDRESS ?? 'localhost:50051', grpc.credentials.createInsecure());

const metadata = new grpc.Metadata();
metadata.set('authorization', `Bearer ${process.env.TOKEN}`);
const hours = (h) => ({ seconds: String(h * 3600), nanos: 0 });

client.UpdateOIDCSettings(
  {
    accessTokenLifetime: hours(1),
    idTokenLifetime: hours(1),
    refreshTokenIdleExpiration: hours(24),
    refreshTokenExpiration: hours(24 * 7),
  },
  metadata,
  (error, response) => {
    if (error) {
      console.error(`${grpc.status[error.code]}: ${error.details}`);
      process.exitCode = 1;
    } else {
      console.log(`updated, sequence ${response.details.sequence}`);
    }
    client.close();
  },
);
