import { X509Certificate, type KeyObject, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { type Duration, positiveDurationProblem } from '../domain/duration';
import { DEFAULT_LIFETIMES, type OidcLifetimes } from '../domain/oidc-settings';
import { formatDurationText, parseDurationText } from './duration-text';

/** A setting that cannot be used; start-up stops with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The two programs: the service (npm start) and the standalone gateway (npm run gateway). */
export type Program = 'server' | 'gateway';

/** How one setting is read: from its flag, else its environment variable, else its default. */
interface Setting<T> {
  readonly env: string;
  /** Defaults to the variable in kebab-case: GRPC_PORT -> --grpc-port. */
  readonly flag?: string;
  readonly description: string;
  /** "" means unset: the parser is not called and the value is undefined. */
  readonly default: string;
  readonly parse: (raw: string) => T | undefined;
  /** What a valid value looks like, for the error message. */
  readonly expected: string;
  readonly programs: readonly Program[];
  /** How a bad value is quoted back (e.g. without its password). */
  readonly show?: (raw: string) => string;
}

const port: Setting<number>['parse'] = (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
};
const bytes: Setting<number>['parse'] = (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
};
const count: Setting<number>['parse'] = bytes;
const bool: Setting<boolean>['parse'] = (raw) =>
  ({ true: true, on: true, '1': true, yes: true, false: false, off: false, '0': false, no: false })[raw.toLowerCase()];
const text: Setting<string>['parse'] = (raw) => (raw === '' ? undefined : raw);
const lifetime: Setting<Duration>['parse'] = (raw) => {
  const d = parseDurationText(raw);
  return d && positiveDurationProblem(d) === undefined ? d : undefined;
};
/** A duration that may be zero ("0" alone too): a wait that can be turned off. */
const wait: Setting<Duration>['parse'] = (raw) => (raw.trim() === '0' ? { seconds: 0n, nanos: 0 } : parseDurationText(raw));
const oneOf =
  <T extends string>(...values: T[]): Setting<T>['parse'] =>
  (raw) =>
    values.find((v) => v === raw);
/** "*" or a comma list of origins such as https://admin.example.com. */
const origins: Setting<'*' | string[]>['parse'] = (raw) => {
  if (raw.trim() === '*') return '*';
  const list = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
  return list.length > 0 && list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)) ? list : undefined;
};
/** A comma list of header names (HTTP tokens), lower-cased; may be empty. */
const headerNames: Setting<string[]>['parse'] = (raw) => {
  const list = raw.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  return list.every((h) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h)) ? list : undefined;
};
/** "service=/prefix" pairs, comma separated. */
const mounts: Setting<Record<string, string>>['parse'] = (raw) => {
  const entries = raw
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '')
    .map((pair) => pair.split('='));
  if (!entries.every((e) => e.length === 2 && /^[\w.]+$/.test(e[0]!) && /^(\/[\w.~-]+)+$/.test(e[1]!))) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
};
/** A host name (RFC 1123 labels) or an IPv4 / IPv6 address, as a server binds to it. */
const host: Setting<string>['parse'] = (raw) =>
  isIP(raw) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(raw)
    ? raw
    : undefined;
const hostPort: Setting<string>['parse'] = (raw) => (/^[\w.-]+:\d{1,5}$|^\[[\d:a-fA-F]+\]:\d{1,5}$/.test(raw) ? raw : undefined);

/** A PostgreSQL connection URL, as libpq and node-postgres read it. */
const postgresUrl: Setting<string>['parse'] = (raw) => {
  try {
    const url = new URL(raw);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.pathname.length > 1 ? raw : undefined;
  } catch {
    return undefined;
  }
};

/** A URL without its password, for logs and messages. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

const BOTH: readonly Program[] = ['server', 'gateway'];
const SERVER: readonly Program[] = ['server'];
const GATEWAY: readonly Program[] = ['gateway'];
const LIFETIME_EXPECTED = 'a positive duration such as 12h, 30d or 1h30m';

const define = <T>(s: Setting<T>): Setting<T> => s;

/** Every setting of both programs, in the order --help lists them. */
export const SETTINGS = {
  grpcHost: define({
    env: 'GRPC_HOST',
    description: 'Address the gRPC server binds to',
    default: '0.0.0.0',
    parse: host,
    expected: 'a host name or IP address',
    programs: SERVER,
  }),
  grpcPort: define({
    env: 'GRPC_PORT',
    description: 'gRPC port (0 picks a free one)',
    default: '50051',
    parse: port,
    expected: 'a port number from 0 to 65535',
    programs: SERVER,
  }),
  httpHost: define({
    env: 'HTTP_HOST',
    description: 'Address the HTTP gateway (gRPC-Web, REST) binds to',
    default: '0.0.0.0',
    parse: host,
    expected: 'a host name or IP address',
    programs: BOTH,
  }),
  httpPort: define({
    env: 'HTTP_PORT',
    description: 'HTTP gateway port (0 picks a free one)',
    default: '8080',
    parse: port,
    expected: 'a port number from 0 to 65535',
    programs: BOTH,
  }),
  dataDir: define({
    env: 'DATA_DIR',
    description: 'Folder for the SQLite database and admin.pat',
    default: './data',
    parse: text,
    expected: 'a folder path',
    programs: SERVER,
  }),
  databaseUrl: define({
    env: 'DATABASE_URL',
    description: 'Store in PostgreSQL instead of SQLite, e.g. postgres://user:password@host:5432/db (replicas share it)',
    default: '',
    parse: postgresUrl,
    expected: 'a postgres:// or postgresql:// URL',
    programs: SERVER,
    show: redactUrl,
  }),
  seed: define({
    env: 'SEED_DEFAULTS',
    description: 'Seed a new instance with the default lifetimes below (off: Add them yourself)',
    default: 'true',
    parse: bool,
    expected: 'true or false',
    programs: SERVER,
  }),
  accessTokenLifetime: define({
    env: 'DEFAULT_ACCESS_TOKEN_LIFETIME',
    description: 'Seeded access token lifetime',
    default: formatDurationText(DEFAULT_LIFETIMES.accessTokenLifetime),
    parse: lifetime,
    expected: LIFETIME_EXPECTED,
    programs: SERVER,
  }),
  idTokenLifetime: define({
    env: 'DEFAULT_ID_TOKEN_LIFETIME',
    description: 'Seeded ID token lifetime',
    default: formatDurationText(DEFAULT_LIFETIMES.idTokenLifetime),
    parse: lifetime,
    expected: LIFETIME_EXPECTED,
    programs: SERVER,
  }),
  refreshTokenIdleExpiration: define({
    env: 'DEFAULT_REFRESH_TOKEN_IDLE_EXPIRATION',
    description: 'Seeded refresh token idle expiration',
    default: formatDurationText(DEFAULT_LIFETIMES.refreshTokenIdleExpiration),
    parse: lifetime,
    expected: LIFETIME_EXPECTED,
    programs: SERVER,
  }),
  refreshTokenExpiration: define({
    env: 'DEFAULT_REFRESH_TOKEN_EXPIRATION',
    description: 'Seeded refresh token expiration',
    default: formatDurationText(DEFAULT_LIFETIMES.refreshTokenExpiration),
    parse: lifetime,
    expected: LIFETIME_EXPECTED,
    programs: SERVER,
  }),
  grpcMaxReceiveBytes: define({
    env: 'GRPC_MAX_RECEIVE_BYTES',
    description: 'Largest gRPC request message accepted; larger ones get RESOURCE_EXHAUSTED',
    default: '16384',
    parse: bytes,
    expected: 'a whole number of bytes, at least 1',
    programs: SERVER,
  }),
  grpcMaxConnections: define({
    env: 'GRPC_MAX_CONNECTIONS',
    // gRPC clients multiplex every call over one connection per channel, so
    // a handful of clients need a handful of connections; 256 leaves room
    // for many and keeps the port's descriptors well under a 1024 (or even
    // 512) ulimit -n, with room for the HTTP port and the database.
    description: 'Most TCP connections the gRPC port keeps open; more are closed as they arrive',
    default: '256',
    parse: count,
    expected: 'a whole number, at least 1',
    programs: SERVER,
  }),
  grpcIdleTimeout: define({
    env: 'GRPC_IDLE_TIMEOUT',
    // gRPC's MAX_CONNECTION_IDLE: a client whose connection went away opens
    // a new one on its next call. Also how soon a connection left open after
    // a protocol error (GOAWAY) is closed.
    description: 'A gRPC connection with no call for this long is closed (GOAWAY first)',
    default: '2m',
    parse: lifetime,
    expected: 'a positive duration such as 2m',
    programs: SERVER,
  }),
  httpMaxConnections: define({
    env: 'HTTP_MAX_CONNECTIONS',
    // Browsers open up to six HTTP/1.1 connections per origin (one with
    // HTTP/2); 512 serves many of them and, with the gRPC port's cap, keeps
    // the process under a 1024 ulimit -n.
    description: 'Most TCP connections the HTTP port keeps open; more are closed as they arrive',
    default: '512',
    parse: count,
    expected: 'a whole number, at least 1',
    programs: BOTH,
  }),
  httpIdleTimeout: define({
    env: 'HTTP_IDLE_TIMEOUT',
    description:
      'An HTTP/2 (TLS) connection with no traffic for this long is closed, GOAWAY first (HTTP/1.1 keep-alive connections close after 5s idle)',
    default: '2m',
    parse: lifetime,
    expected: 'a positive duration such as 2m',
    programs: BOTH,
  }),
  maxBodyBytes: define({
    env: 'MAX_BODY_BYTES',
    description: 'Largest gRPC-Web, Connect or REST request body accepted, and largest message once decompressed; larger ones get 413',
    default: '65536',
    parse: bytes,
    expected: 'a whole number of bytes, at least 1',
    programs: BOTH,
  }),
  corsOrigins: define({
    env: 'CORS_ORIGINS',
    description: 'Origins browsers may call from: * (any) or a comma list such as https://admin.example.com',
    default: '*',
    parse: origins,
    expected: '* or a comma list of origins (scheme://host[:port])',
    programs: BOTH,
  }),
  corsAllowedHeaders: define({
    env: 'CORS_ALLOWED_HEADERS',
    description:
      'Request headers browsers may send besides the ones gRPC-Web, Connect and REST need (authorization, content-type, x-grpc-web, x-user-agent, grpc-timeout, connect-protocol-version, connect-timeout-ms, the encoding headers, accept-language): a comma list, e.g. x-request-id',
    default: '',
    parse: headerNames,
    expected: 'a comma list of header names',
    programs: BOTH,
  }),
  restMounts: define({
    env: 'REST_MOUNTS',
    description: "Path prefix of each service's HTTP rules, as service=/prefix pairs",
    default: 'zitadel.admin.v1.AdminService=/admin/v1',
    parse: mounts,
    expected: 'comma-separated service=/prefix pairs',
    programs: BOTH,
  }),
  callTimeout: define({
    env: 'CALL_TIMEOUT',
    description: 'Deadline of a gRPC-Web, Connect or REST call that sets none (grpc-timeout, connect-timeout-ms); past it: DEADLINE_EXCEEDED, 504',
    default: '30s',
    parse: lifetime,
    expected: 'a positive duration such as 30s',
    programs: BOTH,
  }),
  upstream: define({
    env: 'GATEWAY_UPSTREAM',
    flag: '--upstream',
    description: 'The gRPC server the standalone gateway forwards to (required)',
    default: '',
    parse: hostPort,
    expected: 'host:port',
    programs: GATEWAY,
  }),
  descriptorSet: define({
    env: 'DESCRIPTOR_SET',
    description: "FileDescriptorSet of the upstream's services (buf build -o); default: this service's",
    default: '',
    parse: text,
    expected: 'a file path',
    programs: GATEWAY,
  }),
  protoPath: define({
    env: 'PROTO_PATH',
    description: 'Or: a folder of .proto files, built with buf at start (needs the dev dependencies)',
    default: '',
    parse: text,
    expected: 'a folder path',
    programs: GATEWAY,
  }),
  tlsCertFile: define({
    env: 'TLS_CERT_FILE',
    description: 'PEM certificate (chain): gRPC over TLS, and the gateway over HTTPS with HTTP/2 (HTTP/1.1 still accepted)',
    default: '',
    parse: text,
    expected: 'a file path',
    programs: BOTH,
  }),
  tlsKeyFile: define({
    env: 'TLS_KEY_FILE',
    description: "PEM private key of TLS_CERT_FILE's certificate",
    default: '',
    parse: text,
    expected: 'a file path',
    programs: BOTH,
  }),
  upstreamTls: define({
    env: 'UPSTREAM_TLS',
    description: 'Dial the upstream over TLS, trusting the system CAs (or UPSTREAM_CA_FILE)',
    default: 'false',
    parse: bool,
    expected: 'true or false',
    programs: GATEWAY,
  }),
  upstreamCaFile: define({
    env: 'UPSTREAM_CA_FILE',
    description: "PEM CA certificate(s) to trust for the upstream's certificate; implies UPSTREAM_TLS",
    default: '',
    parse: text,
    expected: 'a file path',
    programs: GATEWAY,
  }),
  logLevel: define({
    env: 'LOG_LEVEL',
    description: 'Log level',
    default: 'info',
    parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
    expected: 'one of trace, debug, info, warn, error, fatal, silent',
    programs: BOTH,
  }),
  shutdownDrain: define({
    env: 'SHUTDOWN_DRAIN',
    // Long enough for a load balancer or Kubernetes to see /readyz fail (a
    // probe every few seconds) and send no more traffic, short enough to
    // fit, with SHUTDOWN_GRACE, in Kubernetes' 30 s termination grace.
    description:
      'On SIGTERM, how long /readyz answers 503 and gRPC health NOT_SERVING while calls are still served, before the graceful stop (0s: none; SIGINT stops without it)',
    default: '5s',
    parse: wait,
    expected: 'a duration such as 5s, or 0s for none',
    programs: BOTH,
  }),
  shutdownGrace: define({
    env: 'SHUTDOWN_GRACE',
    description: 'How long calls in flight may take to finish on SIGTERM/SIGINT (after the drain)',
    default: '10s',
    parse: lifetime,
    expected: 'a positive duration such as 10s',
    programs: BOTH,
  }),
};

type Settings = typeof SETTINGS;
type ValueOf<S> = S extends Setting<infer T> ? T : never;
/** Settings with an empty default may be unset. */
export type ConfigValues = {
  readonly [K in keyof Settings]: Settings[K]['default'] extends '' ? ValueOf<Settings[K]> | undefined : ValueOf<Settings[K]>;
};

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface Config extends ConfigValues {
  /** The certificate and key, read at start; undefined serves in plain text. */
  readonly tls: TlsFiles | undefined;
  /** The CA to trust for the upstream, read at start. */
  readonly upstreamCa: Buffer | undefined;
  /** The lifetimes to seed, or undefined when seeding is off. */
  readonly seedLifetimes: OidcLifetimes | undefined;
  readonly databaseFile: string;
  readonly adminTokenFile: string;
  readonly shutdownGraceMs: number;
  readonly shutdownDrainMs: number;
  readonly callTimeoutMs: number;
  readonly grpcIdleTimeoutMs: number;
  readonly httpIdleTimeoutMs: number;
}

export const flagOf = (setting: { env: string; flag?: string }): string =>
  setting.flag ?? `--${setting.env.toLowerCase().replace(/_/g, '-')}`;

const settingsOf = (program: Program) =>
  (Object.entries(SETTINGS) as Array<[keyof Settings, Setting<unknown>]>).filter(([, s]) => s.programs.includes(program));

/**
 * Reads every setting of a program from its flag, else its environment
 * variable, else its default, and validates it. Unknown flags and bad values
 * throw ConfigError naming the setting. Settings of the other program keep
 * their defaults.
 */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[], program: Program = 'server'): Config {
  const flags = parseFlags(argv);
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    const mine = setting.programs.includes(program);
    const flag = flagOf(setting);
    const fromFlag = mine ? flags.get(flag) : undefined;
    if (mine) flags.delete(flag);
    const raw = fromFlag ?? (mine ? env[setting.env] : undefined) ?? setting.default;
    if (raw === '' && setting.default === '') {
      values[key] = undefined;
      continue;
    }
    const value = setting.parse(raw);
    if (value === undefined) {
      const source = fromFlag !== undefined ? flag : env[setting.env] !== undefined ? setting.env : 'default';
      const shown = setting.show ? setting.show(raw) : raw;
      throw new ConfigError(`${setting.env} (${flag}) is ${JSON.stringify(shown)} from ${source}: expected ${setting.expected}`);
    }
    values[key] = value;
  }
  const unknown = [...flags.keys()];
  if (unknown.length > 0) throw new ConfigError(`unknown option ${unknown.join(', ')} (see --help)`);

  const config = values as unknown as ConfigValues;
  const dataDir = path.resolve(config.dataDir);
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE go together: give both, or neither');
  }
  return {
    ...config,
    tls: config.tlsCertFile === undefined || config.tlsKeyFile === undefined ? undefined : readTlsFiles(config.tlsCertFile, config.tlsKeyFile),
    upstreamCa: config.upstreamCaFile === undefined ? undefined : readSettingFile(SETTINGS.upstreamCaFile, config.upstreamCaFile),
    dataDir,
    databaseFile: path.join(dataDir, 'oidc-settings.db'),
    adminTokenFile: path.join(dataDir, 'admin.pat'),
    shutdownGraceMs: milliseconds(config.shutdownGrace),
    shutdownDrainMs: milliseconds(config.shutdownDrain),
    callTimeoutMs: milliseconds(config.callTimeout),
    grpcIdleTimeoutMs: milliseconds(config.grpcIdleTimeout),
    httpIdleTimeoutMs: milliseconds(config.httpIdleTimeout),
    seedLifetimes: config.seed
      ? {
          accessTokenLifetime: config.accessTokenLifetime,
          idTokenLifetime: config.idTokenLifetime,
          refreshTokenIdleExpiration: config.refreshTokenIdleExpiration,
          refreshTokenExpiration: config.refreshTokenExpiration,
        }
      : undefined,
  };
}

function readSettingFile(setting: { env: string; flag?: string }, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(`${setting.env} (${flagOf(setting)}) ${file} cannot be read: ${errnoText(error)}`);
  }
}

/**
 * The certificate and key, checked as Node will use them: a PEM
 * certificate, a PEM private key, the key of that certificate. Node (and
 * grpc-js) would otherwise only find out when a listener is created, with
 * an OpenSSL message that names neither file.
 */
function readTlsFiles(certFile: string, keyFile: string): TlsFiles {
  const cert = readSettingFile(SETTINGS.tlsCertFile, certFile);
  const key = readSettingFile(SETTINGS.tlsKeyFile, keyFile);
  const certSetting = `${SETTINGS.tlsCertFile.env} (${flagOf(SETTINGS.tlsCertFile)}) ${certFile}`;
  const keySetting = `${SETTINGS.tlsKeyFile.env} (${flagOf(SETTINGS.tlsKeyFile)}) ${keyFile}`;
  let certificate: X509Certificate;
  try {
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no -----BEGIN CERTIFICATE----- line');
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new ConfigError(`${certSetting} is not a PEM certificate: ${opensslText(error)}`);
  }
  let privateKey: KeyObject;
  try {
    const text = key.toString('latin1');
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new Error('no -----BEGIN PRIVATE KEY----- line');
    // Node would ask for a passphrase on the terminal.
    if (/ENCRYPTED/.test(text)) throw new Error('it is encrypted; decrypt it (openssl pkey -in key.pem -out plain-key.pem)');
    privateKey = createPrivateKey({ key, format: 'pem' });
  } catch (error) {
    throw new ConfigError(`${keySetting} is not a PEM private key: ${opensslText(error)}`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`${keySetting} is not the private key of ${certSetting}`);
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(`${certSetting} and ${keySetting} cannot be used for TLS: ${opensslText(error)}`);
  }
  return { cert, key };
}

/** OpenSSL's reason, without its "error:0480006C:PEM routines::" prefix. */
const opensslText = (error: unknown): string => {
  const { message } = error as { message?: string };
  return (message ?? String(error)).replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '');
};

/** A file system error in words, with its code: "permission denied (EACCES)". */
export function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file is in the way',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EIO: 'an I/O error',
  };
  if (code === undefined) return String((error as Error).message ?? error);
  return `${words[code] ?? (error as Error).message} (${code})`;
}

const milliseconds = (d: Duration): number => Number(d.seconds) * 1000 + d.nanos / 1e6;

/** `--name value` and `--name=value`. */
function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`option ${arg} needs a value`);
      flags.set(arg, next);
      i++;
    }
  }
  return flags;
}

/** The text --help prints: every setting of the program, its flag, variable and default. */
export function helpText(program: Program = 'server'): string {
  const usage = program === 'server' ? 'npm start -- [--option value ...]' : 'npm run gateway -- --upstream host:port [--option value ...]';
  const lines = [`Usage: ${usage}`, '', 'Every option can also be set by its environment variable.', ''];
  for (const [, setting] of settingsOf(program)) {
    const fallback = setting.default === '' ? 'no default' : `default ${setting.default}`;
    lines.push(`  ${flagOf(setting)}  (${setting.env}, ${fallback})`);
    lines.push(`      ${setting.description}`);
  }
  return lines.join('\n');
}
