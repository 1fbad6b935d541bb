import type { IncomingMessage, ServerResponse } from 'node:http';
import { headersToMetadata } from './metadata';
import type { UnaryCall, UnaryCallResult } from './unary-call';

/**
 * Tells a call its client went away (the response closed before it was
 * sent). The AbortSignal is made only when someone asks for it, such as an
 * upstream channel that cancels its call: the in-process core never does,
 * so most requests never pay for an AbortController.
 */
export class Departure {
  private controller: AbortController | undefined;
  private departed = false;

  constructor(private readonly response: ServerResponse) {
    response.once('close', this.onClose);
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.departed) this.controller.abort();
    return this.controller.signal;
  }

  /** The client left before its answer was written. */
  get happened(): boolean {
    return this.departed;
  }

  /** Stops watching once the answer is about to be written. */
  done(): void {
    this.response.off('close', this.onClose);
  }

  private readonly onClose = (): void => {
    if (this.response.writableEnded) return;
    this.departed = true;
    this.controller?.abort();
  };
}

/**
 * Makes a request's call with its headers as metadata, telling the call
 * when the client goes away; `departed` says the answer has no one to go to.
 */
export async function callForClient(
  call: UnaryCall,
  request: IncomingMessage,
  response: ServerResponse,
  method: string,
  message: Uint8Array,
  deadline: number | undefined,
): Promise<{ readonly result: UnaryCallResult; readonly departed: boolean }> {
  const departure = new Departure(response);
  const result = await call({
    method,
    metadata: headersToMetadata(request.headers),
    message,
    deadline,
    get signal() {
      return departure.signal;
    },
  });
  departure.done();
  return { result, departed: departure.happened };
}
