/**
 * Connect-Timeout-Ms: a positive integer of at most 10 digits, in
 * milliseconds (connectrpc.com/docs/protocol#unary-request). Undefined for
 * anything else, which the caller refuses.
 */
export function connectTimeoutParse(value: string): number | undefined {
  return /^\d{1,10}$/.test(value) ? Number(value) : undefined;
}
