import { AppError } from './app-error';
import { Code } from './code';

/** The roles a token can carry (ZITADEL's instance member roles). */
export const ROLES = ['IAM_OWNER', 'IAM_OWNER_VIEWER'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<string>>> = {
  IAM_OWNER: new Set(['iam.read', 'iam.write']),
  IAM_OWNER_VIEWER: new Set(['iam.read']),
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Who is calling: the id of the token they presented, and its role. */
export interface Principal {
  readonly tokenId: string;
  readonly role: Role;
}

export function authorize(principal: Principal, permission: string): void {
  if (!ROLE_PERMISSIONS[principal.role].has(permission)) {
    throw new AppError(Code.PermissionDenied, 'AUTH-5mWD2', 'No matching permissions found');
  }
}

/** ZITADEL answers every authentication failure with the id AUTH-7fs1e. */
export const missingToken = (): AppError =>
  new AppError(Code.Unauthenticated, 'AUTH-7fs1e', 'auth header missing');

export const invalidToken = (): AppError =>
  new AppError(Code.Unauthenticated, 'AUTH-7fs1e', 'Token is invalid');
