import { AppError, type FieldViolation } from './app-error';
import { Code } from './code';
import { type Duration, durationEquals, hours, positiveDurationProblem } from './duration';

/** The four token lifetimes an instance's OIDC settings consist of. */
export interface OidcLifetimes {
  readonly accessTokenLifetime: Duration;
  readonly idTokenLifetime: Duration;
  readonly refreshTokenIdleExpiration: Duration;
  readonly refreshTokenExpiration: Duration;
}

/** Each lifetime with the proto field name errors report it under. */
export const LIFETIME_FIELDS: ReadonlyArray<readonly [keyof OidcLifetimes, string]> = [
  ['accessTokenLifetime', 'access_token_lifetime'],
  ['idTokenLifetime', 'id_token_lifetime'],
  ['refreshTokenIdleExpiration', 'refresh_token_idle_expiration'],
  ['refreshTokenExpiration', 'refresh_token_expiration'],
];

/** ZITADEL's defaults for a new instance (defaults.yaml). */
export const DEFAULT_LIFETIMES: OidcLifetimes = {
  accessTokenLifetime: hours(12),
  idTokenLifetime: hours(12),
  refreshTokenIdleExpiration: hours(720),
  refreshTokenExpiration: hours(2160),
};

/** Where settings stand in their instance's history (zitadel.v1.ObjectDetails). */
export interface Details {
  readonly sequence: bigint;
  /** Milliseconds since the epoch. */
  readonly creationDate: number;
  readonly changeDate: number;
  readonly resourceOwner: string;
}

export interface OidcSettings {
  readonly lifetimes: OidcLifetimes;
  readonly details: Details;
}

export type LifetimesInput = { readonly [K in keyof OidcLifetimes]?: Duration | undefined };

/** The error ids ZITADEL uses for these cases; clients match on them. */
export const ErrorIds = {
  addInvalid: 'INST-10s82j',
  updateInvalid: 'INST-10sxks',
  updateNotFound: 'INST-90s32oj',
  addExists: 'INST-0aaj1o',
  getNotFound: 'QUERY-s9nlw',
} as const;

/**
 * Checks all four lifetimes at once and reports every bad one, so a client
 * fixes its request in one round trip. Runs before anything else looks at
 * the request (an invalid request that is also a NOT_FOUND is INVALID_ARGUMENT).
 */
export function validateLifetimes(input: LifetimesInput, errorId: string): OidcLifetimes {
  const violations: FieldViolation[] = [];
  for (const [key, field] of LIFETIME_FIELDS) {
    const value = input[key];
    const problem = value === undefined ? 'is required' : positiveDurationProblem(value);
    if (problem !== undefined) violations.push({ field, description: `${field} ${problem}` });
  }
  if (violations.length > 0) {
    const text = `Invalid argument: ${violations.map((v) => v.description).join('; ')}`;
    throw new AppError(Code.InvalidArgument, errorId, text, violations);
  }
  return input as OidcLifetimes;
}

export function lifetimesEqual(a: OidcLifetimes, b: OidcLifetimes): boolean {
  return LIFETIME_FIELDS.every(([key]) => durationEquals(a[key], b[key]));
}

export const settingsNotFound = (id: string): AppError =>
  new AppError(Code.NotFound, id, 'OIDC Configuration not found');

export const settingsAlreadyExist = (): AppError =>
  new AppError(Code.AlreadyExists, ErrorIds.addExists, 'OIDC configuration already exists');
