/**
 * web/src/field-errors.ts: the settings page words every field violation
 * the server can send in its own terms. The violations come from the
 * server's real validation (src/domain), driven with a grid of bad
 * lifetimes, so a new rule there without words on the page fails here.
 */
import { AppError } from '../../src/domain/app-error';
import { DURATION_MAX_SECONDS, type Duration, duration } from '../../src/domain/duration';
import { ErrorIds, LIFETIME_FIELDS, type LifetimesInput, validateLifetimes } from '../../src/domain/oidc-settings';
import { LONGEST_DAYS, fieldErrorText, fieldErrorsFrom, fieldErrorsSummary } from '../../web/src/field-errors';
import { LIFETIMES } from '../../web/src/lifetimes';

/** The violations the server answers for these lifetimes (none when they are valid). */
function violationsFor(input: LifetimesInput): Map<string, string> {
  try {
    validateLifetimes(input, ErrorIds.updateInvalid);
    return new Map();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return new Map(error.violations.map((v) => [v.field, v.description]));
  }
}

const HOUR = 3600n;
const allFour = (value: Duration | undefined): LifetimesInput => ({
  accessTokenLifetime: value,
  idTokenLifetime: value,
  refreshTokenIdleExpiration: value,
  refreshTokenExpiration: value,
});
const oneBad = (key: keyof LifetimesInput, value: Duration | undefined): LifetimesInput => ({ ...allFour(duration(HOUR)), [key]: value });

const AT_MOST = 'must be more than 0 and at most 3,652,500 days (about 10,000 years).';

describe('the page\'s words for the server\'s validation', () => {
  it('has a field, with a label, for every lifetime the server validates', () => {
    expect(LIFETIMES.map((l) => [l.key, l.field])).toEqual(LIFETIME_FIELDS);
  });

  it.each([
    ['missing', 'ID token lifetime is required.', undefined],
    ['0', 'ID token lifetime must be more than 0.', duration(0)],
    ['negative', 'ID token lifetime must be more than 0.', duration(-HOUR)],
    ['negative nanos only', 'ID token lifetime must be more than 0.', duration(0, -1)],
    ['past the Duration range', `ID token lifetime ${AT_MOST}`, duration(DURATION_MAX_SECONDS + 1n)],
    ['before the Duration range', `ID token lifetime ${AT_MOST}`, duration(-DURATION_MAX_SECONDS - 1n)],
    ['nanos out of range', 'ID token lifetime is not a valid length of time.', duration(1, 1_000_000_000)],
    ['seconds and nanos of opposite signs', 'ID token lifetime is not a valid length of time.', duration(1, -1)],
  ])('%s: "%s"', (_case, text, value) => {
    const errors = fieldErrorsFrom(violationsFor(oneBad('idTokenLifetime', value)));
    expect([...errors.byField]).toEqual([['id_token_lifetime', text]]);
    expect(errors.elsewhere).toEqual([]);
  });

  it('names the longest lifetime in days, exactly the Duration range', () => {
    expect(BigInt(LONGEST_DAYS) * 86_400n).toBe(DURATION_MAX_SECONDS);
  });

  it('has its own words, under the right label, for every violation a grid of bad lifetimes draws from the server', () => {
    const seconds = [
      -(2n ** 63n), -DURATION_MAX_SECONDS - 1n, -DURATION_MAX_SECONDS, -86_400n, -1n, 0n, 1n, 59n, 60n, HOUR, 86_400n,
      365n * 86_400n, 3650n * 86_400n, DURATION_MAX_SECONDS - 1n, DURATION_MAX_SECONDS, DURATION_MAX_SECONDS + 1n, 2n ** 63n - 1n,
    ];
    const nanos = [-1_000_000_000, -999_999_999, -500_000_000, -1, 0, 0.5, 1, 500_000_000, 999_999_999, 1_000_000_000];
    const values = [undefined, ...seconds.flatMap((s) => nanos.map((n) => duration(s, n)))];
    const reasons = new Set<string>();
    for (const value of values) {
      const violations = violationsFor(allFour(value));
      const { byField, elsewhere } = fieldErrorsFrom(violations);
      expect(elsewhere).toEqual([]);
      expect(byField.size).toBe(violations.size);
      for (const { field, label } of LIFETIMES) {
        const description = violations.get(field);
        if (description === undefined) continue;
        reasons.add(description.slice(field.length + 1));
        const text = byField.get(field)!;
        // Page words, not the fallback (which quotes the server's description) and no proto field name.
        expect({ value, text }).toEqual({ value, text: expect.stringMatching(new RegExp(`^${label} [a-z].*\\.$`)) as unknown });
        expect(text).not.toContain(description);
        expect(text).not.toContain(field);
      }
    }
    // The grid reaches every rule the server has today.
    expect([...reasons].sort()).toEqual([
      'is required',
      'must be greater than 0',
      'must be within ±315576000000s',
      'must not be negative',
      'nanos must be between -999999999 and 999999999',
      'seconds and nanos must have the same sign',
    ]);
  });
});

describe('fieldErrorText', () => {
  it('puts a reason it has no words for under the label, in the server\'s own text', () => {
    expect(fieldErrorText('ID token lifetime', 'id_token_lifetime', 'id_token_lifetime must be a whole number of minutes')).toBe(
      'ID token lifetime: id_token_lifetime must be a whole number of minutes',
    );
  });

  it('does the same for a description that does not start with the field name', () => {
    expect(fieldErrorText('ID token lifetime', 'id_token_lifetime', 'is required')).toBe('ID token lifetime: is required');
  });
});

describe('fieldErrorsFrom and fieldErrorsSummary', () => {
  it.each<[string, Record<string, string>, string]>([
    ['one field', { id_token_lifetime: 'id_token_lifetime must be greater than 0' }, 'Not saved: one value needs fixing.'],
    [
      'two fields',
      { id_token_lifetime: 'id_token_lifetime must be greater than 0', refresh_token_expiration: 'refresh_token_expiration is required' },
      'Not saved: 2 values need fixing.',
    ],
    [
      'a field the page does not show',
      { pkce_lifetime: 'pkce_lifetime is required' },
      'Not saved: the server refused a value this page does not show: “pkce_lifetime is required”.',
    ],
    [
      'both',
      { id_token_lifetime: 'id_token_lifetime is required', pkce_lifetime: 'pkce_lifetime is required' },
      'Not saved: one value needs fixing. The server also refused a value this page does not show: “pkce_lifetime is required”.',
    ],
    ['nothing', {}, ''],
  ])('%s', (_case, violations, summary) => {
    const errors = fieldErrorsFrom(new Map(Object.entries(violations)));
    expect(fieldErrorsSummary(errors)).toBe(summary);
  });

  it('keeps a field the page does not show out of the fields it places', () => {
    const errors = fieldErrorsFrom(new Map([['pkce_lifetime', 'pkce_lifetime is required']]));
    expect(errors.byField.size).toBe(0);
    expect(errors.elsewhere).toEqual(['pkce_lifetime is required']);
  });
});
