/** What a start says: the ready line's URLs, and why a listener could not be opened. */
import { listenError, StartError } from '../../src/config/start-error';
import { gatewayReadyLine, reachableAt, serverReadyLine, TOKEN_COMMAND } from '../../src/ready-line';

describe('reachableAt', () => {
  it.each([
    ['0.0.0.0', 'localhost:8080'],
    ['::', 'localhost:8080'],
    ['127.0.0.1', '127.0.0.1:8080'],
    ['::1', '[::1]:8080'],
    ['fd00::2', '[fd00::2]:8080'],
    ['oidc.example.internal', 'oidc.example.internal:8080'],
  ])('%s -> %s', (host, address) => {
    expect(reachableAt(host, 8080)).toBe(address);
  });
});

describe('serverReadyLine', () => {
  const listeners = { grpc: { host: '0.0.0.0', port: 50051 }, http: { host: '0.0.0.0', port: 8080 } };

  it('names every URL, and the token file when there is one', () => {
    const line = serverReadyLine({ ...listeners, tls: false, restPath: '/admin/v1/settings/oidc', tokenFile: `${process.cwd()}/data/admin.pat` });
    expect(line.message).toBe(
      'ready: open http://localhost:8080/ui/ (settings page) · REST http://localhost:8080/admin/v1/settings/oidc · gRPC-Web and Connect http://localhost:8080 · gRPC localhost:50051 · token in ./data/admin.pat',
    );
    expect(line.fields).toEqual({
      urls: {
        page: 'http://localhost:8080/ui/',
        rest: 'http://localhost:8080/admin/v1/settings/oidc',
        grpcWeb: 'http://localhost:8080',
        connect: 'http://localhost:8080',
        grpc: 'localhost:50051',
      },
      tokenFile: `${process.cwd()}/data/admin.pat`,
      tokenCommand: undefined,
    });
  });

  it('says https and TLS, leaves out an unmounted REST, and names the token command without a token file', () => {
    const line = serverReadyLine({ ...listeners, tls: true, restPath: undefined, tokenFile: undefined });
    expect(line.message).toBe(
      `ready: open https://localhost:8080/ui/ (settings page) · gRPC-Web and Connect https://localhost:8080 · gRPC localhost:50051 (TLS) · a token: ${TOKEN_COMMAND}`,
    );
    expect(line.fields).toMatchObject({ tokenFile: undefined, tokenCommand: TOKEN_COMMAND, urls: { rest: undefined } });
  });

  it('shows a token file outside the working folder by its absolute path', () => {
    expect(serverReadyLine({ ...listeners, tls: false, restPath: undefined, tokenFile: '/var/lib/oidc/admin.pat' }).message).toMatch(
      / · token in \/var\/lib\/oidc\/admin\.pat$/,
    );
  });
});

it('gatewayReadyLine names its upstream', () => {
  const line = gatewayReadyLine({ tls: false, http: { host: '::', port: 8081 }, restPath: '/admin/v1/settings/oidc', upstream: 'oidc:50051', upstreamTls: true });
  expect(line.message).toBe(
    'ready: REST http://localhost:8081/admin/v1/settings/oidc · gRPC-Web and Connect http://localhost:8081 · forwarding to gRPC oidc:50051 (TLS)',
  );
});

describe('listenError', () => {
  const failed = (code: string) => Object.assign(new Error(`listen ${code}`), { code });
  it.each([
    ['EADDRINUSE', 'grpc', 8080, 'GRPC_PORT', 'cannot listen on 0.0.0.0:8080 (GRPC_PORT): the port is in use; stop what uses it or set GRPC_PORT (--grpc-port)'],
    ['EACCES', 'http', 443, 'HTTP_PORT', 'cannot listen on 0.0.0.0:443 (HTTP_PORT): permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE; set HTTP_PORT (--http-port) to 1024 or above'],
    ['EACCES', 'http', 8080, 'HTTP_PORT', 'cannot listen on 0.0.0.0:8080 (HTTP_PORT): permission denied; set HTTP_PORT (--http-port) to another port'],
    ['EADDRNOTAVAIL', 'http', 8080, 'HTTP_HOST', 'cannot listen on 0.0.0.0:8080 (HTTP_HOST): 0.0.0.0 is not an address of this machine; set HTTP_HOST (--http-host) to one of its addresses, or 0.0.0.0 for all'],
    ['EAFNOSUPPORT', 'grpc', 8080, 'GRPC_HOST', 'cannot listen on 0.0.0.0:8080 (GRPC_HOST): this machine has no IPv6; set GRPC_HOST (--grpc-host) to an IPv4 address, or 0.0.0.0 for all'],
    ['ENOTFOUND', 'grpc', 8080, 'GRPC_HOST', 'cannot listen on 0.0.0.0:8080 (GRPC_HOST): the host name 0.0.0.0 does not resolve (ENOTFOUND); set GRPC_HOST (--grpc-host) to an address of this machine, or 0.0.0.0 for all'],
    ['ERR_OSSL_PEM_NO_START_LINE', 'http', 8080, 'TLS_CERT_FILE', 'cannot listen on 0.0.0.0:8080: TLS_CERT_FILE (--tls-cert-file) and TLS_KEY_FILE (--tls-key-file) cannot be used for TLS: listen ERR_OSSL_PEM_NO_START_LINE'],
  ] as const)('%s on %s port %d names %s', (code, listener, port, setting, message) => {
    const error = listenError(failed(code), listener, { host: '0.0.0.0', port });
    expect(error).toBeInstanceOf(StartError);
    expect({ setting: (error as StartError).setting, message: (error as StartError).message }).toEqual({ setting, message });
  });

  it('brackets an IPv6 address, and passes on what it does not know', () => {
    expect((listenError(failed('EADDRINUSE'), 'http', { host: '::1', port: 8080 }) as Error).message).toMatch(/^cannot listen on \[::1\]:8080 /);
    const other = failed('EMFILE');
    expect(listenError(other, 'http', { host: '::1', port: 8080 })).toBe(other);
  });
});
