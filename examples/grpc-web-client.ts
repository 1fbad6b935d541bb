// Calling the service over gRPC-Web with the typed client this package builds
// (ts-proto over @improbable-eng/grpc-web). It compiles to an ES module or to
// CommonJS alike; in a project with "type": "module":
// Run: npx tsc && GATEWAY=http://localhost:8080 TOKEN=$(cat data/admin.pat) node grpc-web-client.js
import { NodeHttpTransport } from '@improbable-eng/grpc-web-node-http-transport';
import { AdminServiceClientImpl, GrpcWebError, GrpcWebImpl, grpc } from 'oidc-settings-service/client';

// In Node, improbable-eng needs its Node transport; in a browser leave
// `transport` out and it uses fetch.
const rpc = new GrpcWebImpl(process.env.GATEWAY ?? 'http://localhost:8080', { transport: NodeHttpTransport() });
const admin = new AdminServiceClientImpl(rpc);
const metadata = new grpc.Metadata({ authorization: `Bearer ${process.env.TOKEN}` });
const hours = (h: number) => ({ seconds: String(h * 3600), nanos: 0 });

async function main(): Promise<void> {
  const { settings } = await admin.GetOIDCSettings({}, metadata);
  console.log(`access tokens live ${settings?.accessTokenLifetime?.seconds}s, sequence ${settings?.details?.sequence}`);

  try {
    const { details } = await admin.UpdateOIDCSettings(
      { accessTokenLifetime: hours(1), idTokenLifetime: hours(1), refreshTokenIdleExpiration: hours(24), refreshTokenExpiration: hours(24 * 7) },
      metadata,
    );
    console.log(`updated, sequence ${details?.sequence}`);
  } catch (error) {
    if (!(error instanceof GrpcWebError)) throw error;
    // error.code is the gRPC code (3, 7, 16, ...); error.metadata holds the trailers.
    console.error(`${grpc.Code[error.code]}: ${error.message}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
