/**
 * The peer: the same work per call as the service (token check,
 * authorization from the method's auth_option, validation, the group-commit
 * writer and SQLite) behind @connectrpc/connect-node instead of our
 * transports. The same core: adminServiceMethods over an OidcSettingsService
 * and Tokens; only decoding, encoding and the protocol are Connect's.
 * gRPC-Web and Connect JSON on an HTTP/1.1 port, gRPC on an h2c port.
 *
 * node dist/bench/servers/peer.js <http-port> <h2c-port> <data-dir>
 */
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import path from 'node:path';
import { type ConnectRouter, ConnectError, type HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { writeAdminTokenFile } from '../../src/admin-token-file';
import { OidcSettingsService } from '../../src/app/oidc-settings-service';
import { ensureInstance } from '../../src/app/setup';
import { Tokens } from '../../src/app/tokens';
import { authorize } from '../../src/domain/access';
import { AppError } from '../../src/domain/app-error';
import { DEFAULT_LIFETIMES } from '../../src/domain/oidc-settings';
import { adminServiceMethods } from '../../src/grpc/admin-service';
import { requiredPermission } from '../../src/grpc/dispatcher';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';

const [httpPort, h2Port, dataDir] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!];
fs.mkdirSync(dataDir, { recursive: true });
async function main(): Promise<void> {
  const store = SqliteStore.open(path.join(dataDir, 'oidc-settings.db'));
  const tokens = new Tokens(store.tokens);
  const instance = await ensureInstance(store, tokens, {
    seed: DEFAULT_LIFETIMES,
    deliverAdminToken: (secret) => writeAdminTokenFile(path.join(dataDir, 'admin.pat'), secret),
  });
  const settings = await OidcSettingsService.open(store, instance.id);

  type Handler = (request: unknown, context: HandlerContext) => Promise<unknown>;

  function routes(router: ConnectRouter): void {
    for (const impl of adminServiceMethods(settings)) {
      const permission = requiredPermission(impl.method);
      const handler: Handler = async (request, context) => {
        try {
          const principal = await tokens.authenticate(context.requestHeader.get('authorization') ?? undefined);
          authorize(principal, permission);
          return await impl.handle(request, principal);
        } catch (thrown) {
          const error = AppError.from(thrown);
          throw new ConnectError(error.message, error.code as number);
        }
      };
      router.rpc(impl.method, handler as never);
    }
  }

  const adapter = connectNodeAdapter({ routes });
  const h1 = http.createServer({ keepAliveTimeout: 5000 }, adapter);
  const h2 = http2.createServer(adapter);
  let listening = 0;
  const ready = () => {
    if (++listening === 2) process.stdout.write(`${JSON.stringify({ msg: 'ready', httpPort, h2Port, instance: instance.id })}\n`);
  };
  h1.listen(httpPort, '127.0.0.1', ready);
  h2.listen(h2Port, '127.0.0.1', ready);

  process.once('SIGTERM', () => {
    const closed = (server: { close(cb: () => void): unknown }) => new Promise<void>((resolve) => server.close(() => resolve()));
    h1.closeIdleConnections();
    void Promise.all([closed(h1), closed(h2)])
      .then(() => settings.drain())
      .then(() => {
        void store.close().then(() => process.exit(0));
      });
    // HTTP/2 sessions the load generator left open would hold close() up.
    setTimeout(() => process.exit(0), 3000).unref();
  });
}

void main();
