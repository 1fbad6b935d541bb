/**
 * The settings page's pure parts, table-driven: durations in words and in
 * units, the status details header, sorting call failures, and where the
 * API is. The end-to-end tests beside this file cover them in the browser.
 */
import { grpc } from '@improbable-eng/grpc-web';
import { BadRequest } from '../../gen/client/google/rpc/error_details';
import { Status } from '../../gen/client/google/rpc/status';
import { GrpcWebError } from '../../gen/client/zitadel/admin';
import { ErrorDetail } from '../../gen/client/zitadel/message';
import { apiBaseFrom } from '../../web/src/api-base';
import { base64Decode } from '../../web/src/base64';
import { callProblemFrom, problemId, problemText } from '../../web/src/call-problem';
import { type Amount, UNITS, amountToDuration, durationToAmount, formatDuration } from '../../web/src/duration-units';
import { statusDetailsDecode } from '../../web/src/status-details';

const d = (seconds: number | string, nanos = 0) => ({ seconds: String(seconds), nanos });
const HOUR = 3600;
const DAY = 24 * HOUR;

describe('formatDuration', () => {
  it.each([
    [d(12 * HOUR), '12 hours'],
    [d(30 * DAY), '30 days'],
    [d(90 * DAY), '90 days'],
    [d(DAY), '1 day'],
    [d(90 * 60), '1 hour 30 minutes'],
    [d(DAY + 6 * HOUR), '1 day 6 hours'],
    [d(HOUR + 1), '1 hour 1 second'],
    [d(1), '1 second'],
    [d(0, 500_000_000), '0.5 seconds'],
    [d(1, 1), '1.000000001 seconds'],
    [d(0), '0 seconds'],
    [d(-HOUR), '-1 hour'],
    [d(0, -500_000_000), '-0.5 seconds'],
    [d('315576000000'), '3652500 days'],
  ])('%j is "%s"', (duration, text) => {
    expect(formatDuration(duration)).toBe(text);
  });
});

describe('durationToAmount', () => {
  it.each([
    [d(12 * HOUR), { amount: '12', unit: 'hours' }],
    [d(90 * DAY), { amount: '90', unit: 'days' }],
    [d(90 * 60), { amount: '90', unit: 'minutes' }],
    [d(90_061), { amount: '90061', unit: 'seconds' }],
    [d(1, 500_000_000), { amount: '1.5', unit: 'seconds' }],
    [d(0), { amount: '0', unit: 'seconds' }],
  ])('%j edits as %j', (duration, amount) => {
    expect(durationToAmount(duration)).toEqual(amount);
  });
});

describe('amountToDuration', () => {
  it.each<[Amount, ReturnType<typeof d> | undefined]>([
    [{ amount: '12', unit: 'hours' }, d(12 * HOUR)],
    [{ amount: ' 30 ', unit: 'days' }, d(30 * DAY)],
    [{ amount: '1.5', unit: 'hours' }, d(5400)],
    // Exact where floating point is not: 1.1 * 3600 is 3960.0000000000005 in a double.
    [{ amount: '1.1', unit: 'hours' }, d(3960)],
    [{ amount: '0.1', unit: 'seconds' }, d(0, 100_000_000)],
    [{ amount: '0.000000001', unit: 'seconds' }, d(0, 1)],
    [{ amount: '0', unit: 'minutes' }, d(0)],
    [{ amount: '-2', unit: 'minutes' }, d(-120)],
    [{ amount: '-1.5', unit: 'seconds' }, d(-1, -500_000_000)],
    [{ amount: '', unit: 'hours' }, undefined],
    [{ amount: 'twelve', unit: 'hours' }, undefined],
    [{ amount: '1e3', unit: 'hours' }, undefined],
    [{ amount: '1,5', unit: 'hours' }, undefined],
    [{ amount: '0.0000000001', unit: 'seconds' }, undefined],
  ])('%j is %j', (amount, duration) => {
    expect(amountToDuration(amount)).toEqual(duration);
  });

  it.each(UNITS.map((u) => u.id))('round-trips through %s', (unit) => {
    const duration = amountToDuration({ amount: '7', unit })!;
    expect(durationToAmount(duration)).toEqual({ amount: '7', unit });
  });
});

describe('base64Decode', () => {
  const bytes = Uint8Array.from([0xfb, 0xff, 0x01]);
  it.each([
    ['+/8B', bytes],
    ['-_8B', bytes],
    ['+/8=', Uint8Array.from([0xfb, 0xff])],
    ['+/8', Uint8Array.from([0xfb, 0xff])],
    ['', new Uint8Array()],
    ['not base64!', undefined],
    ['A', undefined],
  ])('%j', (text, expected) => {
    expect(base64Decode(text)).toEqual(expected);
  });
});

/** grpc-status-details-bin as the server sends it, unpadded. */
function detailsHeader(id: string, violations: Record<string, string>, text = 'Invalid argument'): string {
  const status = Status.encode({
    code: 3,
    message: text,
    details: [
      { typeUrl: 'type.googleapis.com/zitadel.v1.ErrorDetail', value: ErrorDetail.encode({ id, message: text }).finish() },
      {
        typeUrl: 'type.googleapis.com/google.rpc.BadRequest',
        value: BadRequest.encode({
          fieldViolations: Object.entries(violations).map(([field, description]) => ({ field, description })),
        }).finish(),
      },
    ],
  }).finish();
  return Buffer.from(status).toString('base64').replace(/=+$/, '');
}

describe('statusDetailsDecode', () => {
  it('reads the error id and each field violation', () => {
    const details = statusDetailsDecode(detailsHeader('INST-10sxks', { id_token_lifetime: 'id_token_lifetime must be greater than 0' }));
    expect(details.id).toBe('INST-10sxks');
    expect([...details.violations]).toEqual([['id_token_lifetime', 'id_token_lifetime must be greater than 0']]);
  });

  it.each([undefined, '', '%%%', 'AAAA'])('yields no details for %j, without throwing', (header) => {
    expect(statusDetailsDecode(header).violations.size).toBe(0);
  });
});

describe('callProblemFrom', () => {
  const failure = (code: grpc.Code, headers: Record<string, string>) => new GrpcWebError('message', code, new grpc.Metadata(headers));

  it('sorts a field violation to the field', () => {
    const header = detailsHeader('INST-10sxks', { access_token_lifetime: 'access_token_lifetime is required' });
    const problem = callProblemFrom(failure(grpc.Code.InvalidArgument, { 'grpc-status': '3', 'grpc-status-details-bin': header }));
    expect(problem.kind).toBe('invalid');
    expect(problem.kind === 'invalid' && problem.details.violations.get('access_token_lifetime')).toBe('access_token_lifetime is required');
  });

  it.each([
    [grpc.Code.Unauthenticated, 'unauthenticated'],
    [grpc.Code.PermissionDenied, 'permission'],
    [grpc.Code.NotFound, 'not-found'],
    [grpc.Code.Internal, 'other'],
    [grpc.Code.Unavailable, 'unreachable'],
    [grpc.Code.DeadlineExceeded, 'unreachable'],
  ])('code %d with a grpc-status is %s', (code, kind) => {
    expect(callProblemFrom(failure(code, { 'grpc-status': String(code) })).kind).toBe(kind);
  });

  it('calls a failure without any grpc-status (no answer reached the page) unreachable', () => {
    expect(callProblemFrom(failure(grpc.Code.Unknown, {})).kind).toBe('unreachable');
  });

  it('calls anything else thrown "other"', () => {
    expect(callProblemFrom(new TypeError('bug'))).toMatchObject({ kind: 'other', message: 'TypeError: bug' });
  });

  it('keeps the id apart from what the server said, so the page shows it once', () => {
    const header = detailsHeader('INST-0aaj1o', {}, 'OIDC configuration already exists');
    const metadata = new grpc.Metadata({ 'grpc-status': '6', 'grpc-status-details-bin': header });
    const problem = callProblemFrom(new GrpcWebError('OIDC configuration already exists (INST-0aaj1o)', grpc.Code.AlreadyExists, metadata));
    expect(problemId(problem)).toBe('INST-0aaj1o');
    expect(problemText(problem)).toBe('OIDC configuration already exists');
  });

  it('falls back to grpc-message without an ErrorDetail, and has no id then', () => {
    const problem = callProblemFrom(failure(grpc.Code.Internal, { 'grpc-status': '13' }));
    expect(problemId(problem)).toBeUndefined();
    expect(problemText(problem)).toBe('message');
    expect(problemId(callProblemFrom(failure(grpc.Code.Unknown, {})))).toBeUndefined();
  });
});

describe('apiBaseFrom', () => {
  const at = (search: string) => apiBaseFrom({ origin: 'https://page.example', search });
  it.each([
    ['', 'https://page.example'],
    ['?api=http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['?api=https%3A%2F%2Fapi.example%2Fsome%2Fpath%3Fq', 'https://api.example'],
    ['?api=javascript:alert(1)', 'https://page.example'],
    ['?api=not a url', 'https://page.example'],
  ])('%j -> %s', (search, base) => {
    expect(at(search)).toBe(base);
  });
});
