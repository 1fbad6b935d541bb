import type { Lifetimes } from './settings-api';

/**
 * The four lifetimes, in the order the page shows them. `field` is the
 * proto field name, which is how the server names a bad one in its
 * google.rpc.BadRequest field violations; it doubles as the input's id.
 */
export const LIFETIMES: readonly {
  readonly key: keyof Lifetimes;
  readonly field: string;
  readonly label: string;
  readonly hint: string;
}[] = [
  {
    key: 'accessTokenLifetime',
    field: 'access_token_lifetime',
    label: 'Access token lifetime',
    hint: 'How long an access token is valid after it is issued.',
  },
  {
    key: 'idTokenLifetime',
    field: 'id_token_lifetime',
    label: 'ID token lifetime',
    hint: 'How long an ID token is valid after it is issued.',
  },
  {
    key: 'refreshTokenIdleExpiration',
    field: 'refresh_token_idle_expiration',
    label: 'Refresh token idle expiration',
    hint: 'A refresh token not used for this long expires.',
  },
  {
    key: 'refreshTokenExpiration',
    field: 'refresh_token_expiration',
    label: 'Refresh token expiration',
    hint: 'A refresh token expires this long after it was first issued, however often it is used.',
  },
];
