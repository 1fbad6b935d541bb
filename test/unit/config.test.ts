import path from 'node:path';
import { ConfigError, SETTINGS, flagOf, helpText, loadConfig } from '../../src/config/config';

describe('loadConfig', () => {
  it('defaults to gRPC on 0.0.0.0:50051, ./data, seeding ZITADEL defaults', () => {
    const config = loadConfig({}, []);
    expect(config.grpcHost).toBe('0.0.0.0');
    expect(config.grpcPort).toBe(50051);
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.databaseFile).toBe(path.resolve('data/oidc-settings.db'));
    expect(config.adminTokenFile).toBe(path.resolve('data/admin.pat'));
    expect(config.seedLifetimes).toEqual({
      accessTokenLifetime: { seconds: 43_200n, nanos: 0 },
      idTokenLifetime: { seconds: 43_200n, nanos: 0 },
      refreshTokenIdleExpiration: { seconds: 2_592_000n, nanos: 0 },
      refreshTokenExpiration: { seconds: 7_776_000n, nanos: 0 },
    });
  });

  it('bounds request sizes far below grpc-js\'s 4 MiB by default: 16 KiB over gRPC, 64 KiB over HTTP', () => {
    const config = loadConfig({}, []);
    expect(config.grpcMaxReceiveBytes).toBe(16 * 1024);
    expect(config.maxBodyBytes).toBe(64 * 1024);
  });

  it('takes host names, IPv4 and IPv6 addresses as bind addresses', () => {
    for (const host of ['localhost', '127.0.0.1', '::', '::1', 'oidc-settings', 'svc.example.internal']) {
      expect(loadConfig({ GRPC_HOST: host, HTTP_HOST: host }, []).grpcHost).toBe(host);
    }
  });

  it('drains 5 s on SIGTERM by default; SHUTDOWN_DRAIN takes a duration, 0s or 0 for none, for both programs', () => {
    expect(loadConfig({}, []).shutdownDrainMs).toBe(5000);
    expect(loadConfig({ SHUTDOWN_DRAIN: '1500ms' }, []).shutdownDrainMs).toBe(1500);
    expect(loadConfig({ SHUTDOWN_DRAIN: '0s' }, []).shutdownDrainMs).toBe(0);
    expect(loadConfig({}, ['--shutdown-drain', '0']).shutdownDrainMs).toBe(0);
    expect(loadConfig({ GATEWAY_UPSTREAM: 'up:1' }, ['--shutdown-drain', '2s'], 'gateway').shutdownDrainMs).toBe(2000);
    for (const bad of ['5', '-1s', 'soon', '']) {
      expect(() => loadConfig({ SHUTDOWN_DRAIN: bad }, [])).toThrow(/^SHUTDOWN_DRAIN \(--shutdown-drain\) is .* expected a duration such as 5s, or 0s for none$/);
    }
  });

  it('takes a flag over its variable over the default', () => {
    expect(loadConfig({ GRPC_PORT: '7000' }, []).grpcPort).toBe(7000);
    expect(loadConfig({ GRPC_PORT: '7000' }, ['--grpc-port', '7001']).grpcPort).toBe(7001);
    expect(loadConfig({}, ['--grpc-port=7002']).grpcPort).toBe(7002);
  });

  it('overrides the seeded lifetimes, or seeds none', () => {
    const config = loadConfig({ DEFAULT_ACCESS_TOKEN_LIFETIME: '1h', DEFAULT_REFRESH_TOKEN_EXPIRATION: '30d' }, []);
    expect(config.seedLifetimes?.accessTokenLifetime).toEqual({ seconds: 3600n, nanos: 0 });
    expect(config.seedLifetimes?.refreshTokenExpiration).toEqual({ seconds: 2_592_000n, nanos: 0 });
    expect(loadConfig({ SEED_DEFAULTS: 'off' }, []).seedLifetimes).toBeUndefined();
  });

  it.each([
    [{ GRPC_PORT: '' }, [], /GRPC_PORT \(--grpc-port\) is "" from GRPC_PORT: expected a port/],
    [{ GRPC_MAX_RECEIVE_BYTES: '0' }, [], /GRPC_MAX_RECEIVE_BYTES/],
    [{ LOG_LEVEL: 'loud' }, [], /LOG_LEVEL/],
    [{ GRPC_HOST: 'not a host!' }, [], /GRPC_HOST \(--grpc-host\) is "not a host!" from GRPC_HOST: expected a host name or IP address/],
    [{}, ['--http-host', 'localhost:8080'], /HTTP_HOST \(--http-host\) is "localhost:8080"/],
    [{}, ['--grpc-port'], /--grpc-port needs a value/],
    [{}, ['stray'], /unexpected argument "stray"/],
    [{}, ['--colour', 'red'], /unknown option --colour/],
  ])('refuses %j %j', (env, argv, message) => {
    expect(() => loadConfig(env, argv)).toThrow(ConfigError);
    expect(() => loadConfig(env, argv)).toThrow(message);
  });

  it.each(['server', 'gateway'] as const)('documents every setting of the %s in --help, and only those', (program) => {
    const help = helpText(program);
    for (const setting of Object.values(SETTINGS)) {
      const line = `  ${flagOf(setting)}  (${setting.env}, ${setting.default === '' ? 'no default' : `default ${setting.default}`})`;
      if (setting.programs.includes(program)) expect(help).toContain(line);
      else expect(help).not.toContain(line);
    }
  });

  it('reads the gateway settings for the gateway, and refuses server flags there', () => {
    const config = loadConfig({ GATEWAY_UPSTREAM: 'localhost:50051' }, ['--http-port', '9000'], 'gateway');
    expect(config.upstream).toBe('localhost:50051');
    expect(config.httpPort).toBe(9000);
    expect(config.restMounts).toEqual({ 'zitadel.admin.v1.AdminService': '/admin/v1' });
    expect(() => loadConfig({}, ['--data-dir', '/tmp'], 'gateway')).toThrow(/unknown option --data-dir/);
    expect(() => loadConfig({}, ['--upstream', 'nowhere'], 'gateway')).toThrow(/GATEWAY_UPSTREAM \(--upstream\)/);
    expect(() => loadConfig({}, ['--upstream', 'localhost:1'], 'server')).toThrow(/unknown option --upstream/);
  });

  it.each([
    ['*', '*'],
    ['https://a.example.com, http://localhost:3000', ['https://a.example.com', 'http://localhost:3000']],
  ])('reads CORS_ORIGINS %j', (raw, origins) => {
    expect(loadConfig({ CORS_ORIGINS: raw }, []).corsOrigins).toEqual(origins);
  });

  it('reads CORS_ALLOWED_HEADERS as lower-case names, none by default', () => {
    expect(loadConfig({}, []).corsAllowedHeaders).toBeUndefined();
    expect(loadConfig({ CORS_ALLOWED_HEADERS: 'X-Request-Id, x-trace ' }, []).corsAllowedHeaders).toEqual(['x-request-id', 'x-trace']);
    expect(() => loadConfig({ CORS_ALLOWED_HEADERS: 'x-ok, bad header' }, [])).toThrow(/CORS_ALLOWED_HEADERS/);
  });

  it.each(['', 'example.com', 'https://a.example.com/path', 'null', 'https://a.example.com, null'])('refuses CORS_ORIGINS %j', (raw) => {
    expect(() => loadConfig({ CORS_ORIGINS: raw }, [])).toThrow(/CORS_ORIGINS/);
  });
});
