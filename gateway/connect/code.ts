/**
 * gRPC status code -> the Connect code string
 * (connectrpc.com/docs/protocol#error-codes): the gRPC name in lower snake
 * case, except that Connect spells CANCELLED "canceled".
 */
const NAMES: readonly string[] = [
  'ok',
  'canceled',
  'unknown',
  'invalid_argument',
  'deadline_exceeded',
  'not_found',
  'already_exists',
  'permission_denied',
  'resource_exhausted',
  'failed_precondition',
  'aborted',
  'out_of_range',
  'unimplemented',
  'internal',
  'unavailable',
  'data_loss',
  'unauthenticated',
];

/** A code outside 1-16 is "unknown", as Connect clients read it. */
export function codeToConnectString(code: number): string {
  return code > 0 && code < NAMES.length ? NAMES[code]! : 'unknown';
}
