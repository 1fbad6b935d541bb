import type { IncomingMessage, ServerResponse } from 'node:http';
import { headersToMetadata } from './metadata';
import type { UnaryCallRequest } from './unary-call';

/**
 * A request's call, with its headers as metadata, that tells the call its
 * client went away (the response closed before it was sent). The
 * AbortSignal is made only when someone asks for it, such as an upstream
 * channel that cancels its call: the in-process core never does, so most
 * requests never pay for an AbortController.
 *
 * A class, not an object literal with a `signal` getter: such a literal is
 * built afresh per call (its getter a new closure, the object in dictionary
 * mode), which was the largest allocation of a REST GET in a heap profile.
 */
export class ClientCall implements UnaryCallRequest {
  readonly metadata: Readonly<Record<string, string>>;
  private controller: AbortController | undefined;
  private departed = false;

  constructor(
    request: IncomingMessage,
    private readonly response: ServerResponse,
    readonly method: string,
    readonly message: Uint8Array,
    readonly deadline: number | undefined,
  ) {
    this.metadata = headersToMetadata(request.headers);
    // on, not once: finish() removes it, and once would wrap it per call.
    response.on('close', this.onClose);
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.departed) this.controller.abort();
    return this.controller.signal;
  }

  /** Stops watching, as the answer is about to be written; true when the client left before, and the answer has no one to go to. */
  finish(): boolean {
    this.response.off('close', this.onClose);
    return this.departed;
  }

  private readonly onClose = (): void => {
    if (this.response.writableEnded) return;
    this.departed = true;
    this.controller?.abort();
  };
}
