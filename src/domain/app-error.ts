import { Code } from './code';

/** One invalid request field, as google.rpc.BadRequest.FieldViolation. */
export interface FieldViolation {
  /** The proto field name, e.g. "access_token_lifetime". */
  readonly field: string;
  readonly description: string;
}

/**
 * The one error type of the service. ZITADEL style: a stable `id` clients can
 * match on (e.g. "INST-90s32oj") and a human text; `message` is
 * "<text> (<id>)", the form ZITADEL sends in grpc-message.
 */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: Code,
    readonly id: string,
    readonly text: string,
    readonly violations: readonly FieldViolation[] = [],
    options?: { cause?: unknown },
  ) {
    super(`${text} (${id})`, options);
  }

  /**
   * Turns anything thrown into an AppError. Anything that is not one already
   * becomes INTERNAL "internal error": its cause stays on the error for the
   * log and is never sent to a client.
   */
  static from(thrown: unknown): AppError {
    if (thrown instanceof AppError) return thrown;
    return new AppError(Code.Internal, 'INTERNAL', 'internal error', [], { cause: thrown });
  }
}
