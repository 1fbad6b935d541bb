import type { ServerResponse } from 'node:http';

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
