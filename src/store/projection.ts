/** The oidc_settings projection's columns, in table order; both adapters build their SQL from them. */
export const PROJECTION_COLUMNS = [
  'instance_id',
  'access_token_lifetime_seconds',
  'access_token_lifetime_nanos',
  'id_token_lifetime_seconds',
  'id_token_lifetime_nanos',
  'refresh_token_idle_expiration_seconds',
  'refresh_token_idle_expiration_nanos',
  'refresh_token_expiration_seconds',
  'refresh_token_expiration_nanos',
  'sequence',
  'created_at',
  'changed_at',
] as const;

/** How an insert of the projection replaces an instance's row (the same in SQLite and PostgreSQL); its creation time stays. */
export const PROJECTION_ON_CONFLICT = `ON CONFLICT (instance_id) DO UPDATE SET ${PROJECTION_COLUMNS.filter(
  (c) => c !== 'instance_id' && c !== 'created_at',
)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}`;
