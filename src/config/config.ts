import path from 'node:path';
import { type Duration, positiveDurationProblem } from '../domain/duration';
import { DEFAULT_LIFETIMES, type OidcLifetimes } from '../domain/oidc-settings';
import { formatDurationText, parseDurationText } from './duration-text';

/** A setting that cannot be used; start-up stops with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** How one setting is read: from its environment variable or its flag. */
interface Setting<T> {
  /** The environment variable; the flag is its kebab-case (GRPC_PORT -> --grpc-port). */
  readonly env: string;
  readonly description: string;
  readonly default: string;
  readonly parse: (raw: string) => T | undefined;
  /** What a valid value looks like, for the error message. */
  readonly expected: string;
}

const port: Setting<number>['parse'] = (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
};
const bytes: Setting<number>['parse'] = (raw) => {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
};
const bool: Setting<boolean>['parse'] = (raw) =>
  ({ true: true, on: true, '1': true, yes: true, false: false, off: false, '0': false, no: false })[raw.toLowerCase()];
const text: Setting<string>['parse'] = (raw) => (raw === '' ? undefined : raw);
const lifetime: Setting<Duration>['parse'] = (raw) => {
  const d = parseDurationText(raw);
  return d && positiveDurationProblem(d) === undefined ? d : undefined;
};
const oneOf =
  <T extends string>(...values: T[]): Setting<T>['parse'] =>
  (raw) =>
    values.find((v) => v === raw);

const define = <T>(s: Setting<T>): Setting<T> => s;

/** Every setting of the service, in the order --help lists them. */
export const SETTINGS = {
  grpcHost: define({
    env: 'GRPC_HOST',
    description: 'Address the gRPC server binds to',
    default: '0.0.0.0',
    parse: text,
    expected: 'a host name or IP address',
  }),
  grpcPort: define({
    env: 'GRPC_PORT',
    description: 'gRPC port (0 picks a free one)',
    default: '50051',
    parse: port,
    expected: 'a port number from 0 to 65535',
  }),
  dataDir: define({
    env: 'DATA_DIR',
    description: 'Folder for the SQLite database and admin.pat',
    default: './data',
    parse: text,
    expected: 'a folder path',
  }),
  seed: define({
    env: 'SEED_DEFAULTS',
    description: 'Seed a new instance with the default lifetimes below (off: Add them yourself)',
    default: 'true',
    parse: bool,
    expected: 'true or false',
  }),
  accessTokenLifetime: define({
    env: 'DEFAULT_ACCESS_TOKEN_LIFETIME',
    description: 'Seeded access token lifetime',
    default: formatDurationText(DEFAULT_LIFETIMES.accessTokenLifetime),
    parse: lifetime,
    expected: 'a positive duration such as 12h, 30d or 1h30m',
  }),
  idTokenLifetime: define({
    env: 'DEFAULT_ID_TOKEN_LIFETIME',
    description: 'Seeded ID token lifetime',
    default: formatDurationText(DEFAULT_LIFETIMES.idTokenLifetime),
    parse: lifetime,
    expected: 'a positive duration such as 12h, 30d or 1h30m',
  }),
  refreshTokenIdleExpiration: define({
    env: 'DEFAULT_REFRESH_TOKEN_IDLE_EXPIRATION',
    description: 'Seeded refresh token idle expiration',
    default: formatDurationText(DEFAULT_LIFETIMES.refreshTokenIdleExpiration),
    parse: lifetime,
    expected: 'a positive duration such as 12h, 30d or 1h30m',
  }),
  refreshTokenExpiration: define({
    env: 'DEFAULT_REFRESH_TOKEN_EXPIRATION',
    description: 'Seeded refresh token expiration',
    default: formatDurationText(DEFAULT_LIFETIMES.refreshTokenExpiration),
    parse: lifetime,
    expected: 'a positive duration such as 12h, 30d or 1h30m',
  }),
  grpcMaxReceiveBytes: define({
    env: 'GRPC_MAX_RECEIVE_BYTES',
    description: 'Largest gRPC request message accepted; larger ones get RESOURCE_EXHAUSTED',
    default: '16384',
    parse: bytes,
    expected: 'a whole number of bytes, at least 1',
  }),
  logLevel: define({
    env: 'LOG_LEVEL',
    description: 'Log level',
    default: 'info',
    parse: oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'),
    expected: 'one of trace, debug, info, warn, error, fatal, silent',
  }),
  shutdownGrace: define({
    env: 'SHUTDOWN_GRACE',
    description: 'How long calls in flight may take to finish on SIGTERM/SIGINT',
    default: '10s',
    parse: lifetime,
    expected: 'a positive duration such as 10s',
  }),
};

type Settings = typeof SETTINGS;
export type ConfigValues = { readonly [K in keyof Settings]: Settings[K] extends Setting<infer T> ? T : never };

export interface Config extends ConfigValues {
  /** The lifetimes to seed, or undefined when seeding is off. */
  readonly seedLifetimes: OidcLifetimes | undefined;
  readonly databaseFile: string;
  readonly adminTokenFile: string;
}

export const flagOf = (env: string): string => `--${env.toLowerCase().replace(/_/g, '-')}`;

/**
 * Reads every setting from its flag, else its environment variable, else its
 * default, and validates it. Unknown flags and bad values throw ConfigError
 * naming the setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): Config {
  const flags = parseFlags(argv);
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    const flag = flagOf(setting.env);
    const fromFlag = flags.get(flag);
    flags.delete(flag);
    const raw = fromFlag ?? env[setting.env] ?? setting.default;
    const value = setting.parse(raw);
    if (value === undefined) {
      const source = fromFlag !== undefined ? flag : env[setting.env] !== undefined ? setting.env : 'default';
      throw new ConfigError(`${setting.env} (${flag}) is ${JSON.stringify(raw)} from ${source}: expected ${setting.expected}`);
    }
    values[key] = value;
  }
  const unknown = [...flags.keys()];
  if (unknown.length > 0) throw new ConfigError(`unknown option ${unknown.join(', ')} (see --help)`);

  const config = values as unknown as ConfigValues;
  const dataDir = path.resolve(config.dataDir);
  return {
    ...config,
    dataDir,
    databaseFile: path.join(dataDir, 'oidc-settings.db'),
    adminTokenFile: path.join(dataDir, 'admin.pat'),
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

/** The text `npm start -- --help` prints: every setting, its flag, variable and default. */
export function helpText(): string {
  const lines = ['Usage: npm start -- [--option value ...]', '', 'Every option can also be set by its environment variable.', ''];
  for (const setting of Object.values(SETTINGS) as Array<Setting<unknown>>) {
    lines.push(`  ${flagOf(setting.env)}  (${setting.env}, default ${setting.default})`);
    lines.push(`      ${setting.description}`);
  }
  return lines.join('\n');
}
