/**
 * The package's client entry, `oidc-settings-service/client`: the typed
 * gRPC-Web client ts-proto generates (gen/client/zitadel/admin.ts), with
 * improbable-eng's `grpc` namespace beside it for `grpc.Metadata`. Node
 * cannot see the named exports of improbable's webpack bundle from an ES
 * module (`import { grpc } from '@improbable-eng/grpc-web'` fails there),
 * while this CommonJS file's re-exports are visible to both module kinds.
 */
export * from '../../gen/client/zitadel/admin';
export { grpc } from '@improbable-eng/grpc-web';
