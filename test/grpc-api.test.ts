/**
 * Every case of REFERENCE §2 over native gRPC: a grpc-js client against the
 * real server on port 0 with a temp data folder.
 */
import Database from 'better-sqlite3';
import type { Client } from '@grpc/grpc-js';
import path from 'node:path';
import { type Lifetimes, type ObjectDetails, type Outcome, adminClient, call, lifetimes, seconds } from './helpers/grpc-client';
import { type TestServer, issueToken, startTestServer } from './helpers/server';

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

interface Settings extends Required<Lifetimes> {
  details: ObjectDetails;
}

function expectError(outcome: Outcome<unknown>, code: number, id: string, text?: string): void {
  if (outcome.ok) throw new Error(`expected code ${code} (${id}), got OK`);
  expect({ code: outcome.code, id: outcome.details?.id }).toEqual({ code, id });
  expect(outcome.message).toBe(`${outcome.details?.text} (${id})`);
  // ZITADEL's own texts, where clients may match on them.
  if (text !== undefined) expect(outcome.details?.text).toBe(text);
}

function ok<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`expected OK, got ${outcome.code}: ${outcome.message}`);
  return outcome.response;
}

function eventCount(dataDir: string): number {
  const db = new Database(path.join(dataDir, 'oidc-settings.db'), { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('seeded instance', () => {
  let server: TestServer;
  let client: Client;
  let admin: string;
  // null: send no authorization at all.
  const get = (token: string | null = admin) =>
    call<{ settings: Settings }>(client, 'GetOIDCSettings', {}, token ?? undefined);
  const update = (request: Lifetimes, token: string | null = admin) =>
    call<{ details: ObjectDetails }>(client, 'UpdateOIDCSettings', request, token ?? undefined);
  const add = (request: Lifetimes, token: string | null = admin) =>
    call<{ details: ObjectDetails }>(client, 'AddOIDCSettings', request, token ?? undefined);

  beforeAll(async () => {
    server = await startTestServer();
    client = adminClient(server.grpcPort);
    admin = server.adminToken;
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it('is seeded with the defaults 12h / 12h / 720h / 2160h, with all four details', async () => {
    const { settings } = ok(await get());
    expect(settings.accessTokenLifetime).toEqual({ seconds: '43200', nanos: 0 });
    expect(settings.idTokenLifetime).toEqual({ seconds: '43200', nanos: 0 });
    expect(settings.refreshTokenIdleExpiration).toEqual({ seconds: '2592000', nanos: 0 });
    expect(settings.refreshTokenExpiration).toEqual({ seconds: '7776000', nanos: 0 });
    expect(settings.details.sequence).toBe('2');
    expect(settings.details.resourceOwner).toBe(server.server.instanceId);
    expect(settings.details.resourceOwner).toMatch(/^\d{15,20}$/);
    expect(Number(settings.details.creationDate!.seconds)).toBeGreaterThan(1.7e9);
    expect(settings.details.changeDate).toEqual(settings.details.creationDate);
  });

  it('answers ALREADY_EXISTS (INST-0aaj1o) to Add when settings exist', async () => {
    expectError(await add(lifetimes(1, 2, 3, 4)), ALREADY_EXISTS, 'INST-0aaj1o', 'OIDC configuration already exists');
  });

  it('updates, moving the sequence by exactly one, and Get shows the new values and details', async () => {
    const before = ok(await get()).settings;
    const { details } = ok(await update(lifetimes(3600, 3601, 86400, 604800)));
    expect(BigInt(details.sequence)).toBe(BigInt(before.details.sequence) + 1n);
    expect(details.resourceOwner).toBe(server.server.instanceId);
    expect(details.creationDate).toEqual(before.details.creationDate);
    expect(Number(details.changeDate!.seconds)).toBeGreaterThanOrEqual(Number(before.details.changeDate!.seconds));
    const after = ok(await get()).settings;
    expect(after).toEqual({ ...lifetimes(3600, 3601, 86400, 604800), details });
  });

  it('answers OK to an Update with the stored values, with the current details, writing no event', async () => {
    const request = lifetimes(7200, 7200, 86400, 604800);
    const first = ok(await update(request)).details;
    const events = eventCount(server.dataDir);
    const again = ok(await update(request)).details;
    expect(again).toEqual(first);
    expect(eventCount(server.dataDir)).toBe(events);
    expect(ok(await get()).settings.details.sequence).toBe(first.sequence);
  });

  it('compares exactly to the nanosecond: one nanosecond more is a change', async () => {
    const base = lifetimes(100, 100, 100, 100);
    const first = ok(await update(base)).details;
    const changed = ok(await update({ ...base, refreshTokenExpiration: seconds(100, 1) })).details;
    expect(BigInt(changed.sequence)).toBe(BigInt(first.sequence) + 1n);
  });

  describe('validation', () => {
    const valid = lifetimes(60, 60, 60, 60);
    const cases: Array<[string, Lifetimes, string[]]> = [
      ['all four missing', {}, ['access_token_lifetime', 'id_token_lifetime', 'refresh_token_idle_expiration', 'refresh_token_expiration']],
      ['one missing', { ...valid, idTokenLifetime: undefined }, ['id_token_lifetime']],
      ['zero', { ...valid, accessTokenLifetime: seconds(0) }, ['access_token_lifetime']],
      ['negative seconds', { ...valid, refreshTokenExpiration: seconds(-1) }, ['refresh_token_expiration']],
      ['negative half second (-0.5s)', { ...valid, accessTokenLifetime: seconds(0, -500_000_000) }, ['access_token_lifetime']],
      ['nanos of the wrong sign', { ...valid, idTokenLifetime: seconds(5, -1) }, ['id_token_lifetime']],
      ['nanos of the wrong sign, negative seconds', { ...valid, idTokenLifetime: seconds(-5, 1) }, ['id_token_lifetime']],
      ['nanos out of range', { ...valid, refreshTokenIdleExpiration: seconds(1, 1_000_000_000) }, ['refresh_token_idle_expiration']],
      ['beyond +315,576,000,000 s', { ...valid, accessTokenLifetime: seconds('315576000001') }, ['access_token_lifetime']],
      ['beyond -315,576,000,000 s', { ...valid, accessTokenLifetime: seconds('-315576000001') }, ['access_token_lifetime']],
      ['two bad at once', { ...valid, accessTokenLifetime: seconds(0), refreshTokenExpiration: seconds(-3) }, ['access_token_lifetime', 'refresh_token_expiration']],
    ];

    it.each(cases)('Update: %s -> INVALID_ARGUMENT (INST-10sxks) naming each bad field', async (_name, request, fields) => {
      const events = eventCount(server.dataDir);
      const outcome = await update(request);
      expectError(outcome, INVALID_ARGUMENT, 'INST-10sxks');
      if (outcome.ok) return;
      for (const field of fields) expect(outcome.message).toContain(field);
      expect(Object.keys(outcome.details!.violations).sort()).toEqual([...fields].sort());
      expect(outcome.details!.typeUrls).toEqual([
        'type.googleapis.com/zitadel.v1.ErrorDetail',
        'type.googleapis.com/google.rpc.BadRequest',
      ]);
      expect(eventCount(server.dataDir)).toBe(events);
    });

    it.each(cases)('Add: %s -> INVALID_ARGUMENT (INST-10s82j), before ALREADY_EXISTS', async (_name, request, fields) => {
      const outcome = await add(request);
      expectError(outcome, INVALID_ARGUMENT, 'INST-10s82j');
      if (!outcome.ok) expect(Object.keys(outcome.details!.violations).sort()).toEqual([...fields].sort());
    });

    const accepted: Array<[string, Required<Lifetimes>]> = [
      ['sub-second (0.5s)', { ...valid, accessTokenLifetime: seconds(0, 500_000_000) }],
      ['nanosecond precision (1.000000001s)', { ...valid, idTokenLifetime: seconds(1, 1) }],
      ['the smallest (0.000000001s)', { ...valid, refreshTokenIdleExpiration: seconds(0, 1) }],
      ['the largest (315576000000.999999999s)', { ...valid, refreshTokenExpiration: seconds('315576000000', 999_999_999) }],
    ];

    it.each(accepted)('accepts %s and gives it back exactly', async (_name, request) => {
      ok(await update(request));
      const { settings } = ok(await get());
      for (const key of Object.keys(request) as Array<keyof Lifetimes>) {
        expect({ seconds: settings[key].seconds, nanos: settings[key].nanos ?? 0 }).toEqual({
          seconds: String(request[key].seconds),
          nanos: request[key].nanos ?? 0,
        });
      }
    });
  });

  describe('authentication and permissions', () => {
    it('refuses a call without authorization: UNAUTHENTICATED (AUTH-7fs1e)', async () => {
      expectError(await get(null), UNAUTHENTICATED, 'AUTH-7fs1e');
      expectError(await update(lifetimes(1, 1, 1, 1), null), UNAUTHENTICATED, 'AUTH-7fs1e');
      expectError(await add(lifetimes(1, 1, 1, 1), null), UNAUTHENTICATED, 'AUTH-7fs1e');
    });

    it('refuses an unknown token and a malformed header', async () => {
      expectError(await get('x'.repeat(43)), UNAUTHENTICATED, 'AUTH-7fs1e');
      expectError(await get('not a token!'), UNAUTHENTICATED, 'AUTH-7fs1e');
    });

    it('lets a viewer read but not write: PERMISSION_DENIED (AUTH-5mWD2)', async () => {
      const viewer = await issueToken(server.dataDir, 'IAM_OWNER_VIEWER');
      ok(await get(viewer));
      const events = eventCount(server.dataDir);
      expectError(await update(lifetimes(5, 5, 5, 5), viewer), PERMISSION_DENIED, 'AUTH-5mWD2', 'No matching permissions found');
      expectError(await add(lifetimes(5, 5, 5, 5), viewer), PERMISSION_DENIED, 'AUTH-5mWD2');
      expect(eventCount(server.dataDir)).toBe(events);
    });

    it('checks the permission before validating: a viewer sending garbage is PERMISSION_DENIED', async () => {
      const viewer = await issueToken(server.dataDir, 'IAM_OWNER_VIEWER');
      expectError(await update({}, viewer), PERMISSION_DENIED, 'AUTH-5mWD2');
    });

    it('refuses an expired token', async () => {
      const expired = await issueToken(server.dataDir, 'IAM_OWNER', { expiresAt: Date.now() - 1 });
      expectError(await get(expired), UNAUTHENTICATED, 'AUTH-7fs1e');
    });

    it('records the acting token in each event', async () => {
      const owner = await issueToken(server.dataDir, 'IAM_OWNER');
      const { details } = ok(await update(lifetimes(11, 12, 13, 14), owner));
      const db = new Database(path.join(server.dataDir, 'oidc-settings.db'), { readonly: true });
      const ownerId = (db.prepare('SELECT id FROM tokens ORDER BY created_at DESC, rowid DESC LIMIT 1').pluck().get() as string);
      const event = db.prepare('SELECT * FROM events WHERE sequence = ?').get(Number(details.sequence)) as Record<string, unknown>;
      db.close();
      expect(event['actor']).toBe(ownerId);
      expect(event['type']).toBe('instance.oidc.settings.changed');
      const payload = JSON.parse(event['payload'] as string) as { old: unknown; new: unknown };
      expect(payload.new).toEqual({
        accessTokenLifetime: '11s',
        idTokenLifetime: '12s',
        refreshTokenIdleExpiration: '13s',
        refreshTokenExpiration: '14s',
      });
      expect(payload.old).not.toBeNull();
    });
  });

  it('gives 100 concurrent Updates 100 distinct sequences; the last state is the highest sequence', async () => {
    const start = BigInt(ok(await get()).settings.details.sequence);
    const requests = Array.from({ length: 100 }, (_, i) => lifetimes(1000 + i, 2000 + i, 3000 + i, 4000 + i));
    const answers = await Promise.all(requests.map((r) => update(r)));
    const sequences = answers.map((a) => BigInt(ok(a).details.sequence));
    expect(new Set(sequences).size).toBe(100);
    const sorted = [...sequences].sort((a, b) => (a < b ? -1 : 1));
    expect(sorted[0]).toBe(start + 1n);
    expect(sorted[99]).toBe(start + 100n);
    const highest = sequences.indexOf(sorted[99]!);
    const { settings } = ok(await get());
    expect(settings.details.sequence).toBe(String(start + 100n));
    expect(settings.accessTokenLifetime.seconds).toBe(String(requests[highest]!.accessTokenLifetime.seconds));
  });
});

describe('instance without seeded settings (SEED_DEFAULTS=false)', () => {
  let server: TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startTestServer({ SEED_DEFAULTS: 'false' });
    client = adminClient(server.grpcPort);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it('answers NOT_FOUND to Get (QUERY-s9nlw) and Update (INST-90s32oj)', async () => {
    expectError(await call(client, 'GetOIDCSettings', {}, server.adminToken), NOT_FOUND, 'QUERY-s9nlw');
    expectError(
      await call(client, 'UpdateOIDCSettings', lifetimes(1, 1, 1, 1), server.adminToken),
      NOT_FOUND,
      'INST-90s32oj',
      'OIDC Configuration not found',
    );
  });

  it('lets invalid argument win over not found', async () => {
    expectError(await call(client, 'UpdateOIDCSettings', {}, server.adminToken), INVALID_ARGUMENT, 'INST-10sxks');
  });

  it('adds settings, with creation and change date; then Get and Update work', async () => {
    const { details } = ok(await call<{ details: ObjectDetails }>(client, 'AddOIDCSettings', lifetimes(60, 61, 62, 63), server.adminToken));
    expect(details.sequence).toBe('2');
    expect(details.creationDate).toEqual(details.changeDate);
    expect(details.resourceOwner).toBe(server.server.instanceId);
    const db = new Database(path.join(server.dataDir, 'oidc-settings.db'), { readonly: true });
    const added = db.prepare('SELECT type, payload, actor FROM events WHERE sequence = 2').get() as Record<string, string>;
    db.close();
    expect(added['actor']).toMatch(/^\d+$/);
    expect({ type: added['type'], payload: JSON.parse(added['payload']!) as unknown }).toEqual({
      type: 'instance.oidc.settings.added',
      payload: { old: null, new: { accessTokenLifetime: '60s', idTokenLifetime: '61s', refreshTokenIdleExpiration: '62s', refreshTokenExpiration: '63s' } },
    });
    const { settings } = ok(await call<{ settings: Settings }>(client, 'GetOIDCSettings', {}, server.adminToken));
    expect(settings).toEqual({ ...lifetimes(60, 61, 62, 63), details });
    const updated = ok(await call<{ details: ObjectDetails }>(client, 'UpdateOIDCSettings', lifetimes(1, 2, 3, 4), server.adminToken));
    expect(updated.details.sequence).toBe('3');
    expect(updated.details.creationDate).toEqual(details.creationDate);
    expectError(await call(client, 'AddOIDCSettings', lifetimes(1, 2, 3, 4), server.adminToken), ALREADY_EXISTS, 'INST-0aaj1o');
  });
});

describe('instance seeded with lifetimes from the environment', () => {
  it('answers Get with DEFAULT_*_LIFETIME / _EXPIRATION as given', async () => {
    const server = await startTestServer({
      DEFAULT_ACCESS_TOKEN_LIFETIME: '1h',
      DEFAULT_ID_TOKEN_LIFETIME: '90m',
      DEFAULT_REFRESH_TOKEN_IDLE_EXPIRATION: '2d',
      DEFAULT_REFRESH_TOKEN_EXPIRATION: '7d',
    });
    const client = adminClient(server.grpcPort);
    try {
      const { settings } = ok(await call<{ settings: Settings }>(client, 'GetOIDCSettings', {}, server.adminToken));
      expect(settings).toEqual({ ...lifetimes(3600, 5400, 172_800, 604_800), details: settings.details });
      expect(settings.details.sequence).toBe('2');
    } finally {
      client.close();
      await server.stop();
    }
  });
});
