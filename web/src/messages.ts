import { h } from './dom';

/**
 * The server's error id (ZITADEL's, e.g. "INST-10sxks"), set small after
 * the page's words, so a support request can quote it; nothing without one.
 */
export const idNote = (id: string | undefined): (Node | string)[] =>
  id ? [' ', h('small', { class: 'error-id' }, `(${id})`)] : [];

/**
 * One place on the page where outcomes are told. The area is a polite live
 * region that is always in the document, so screen readers announce what is
 * put in it; errors go in as role="alert" to be announced at once, with
 * the server's error id when there is one. A retryable error carries a
 * "Try again" button, which takes the focus so a keyboard user can retry
 * with Enter.
 */
export class Messages {
  constructor(private readonly area: HTMLElement) {
    area.setAttribute('aria-live', 'polite');
  }

  info(text: string): void {
    this.area.replaceChildren(h('p', { class: 'info' }, text));
  }

  success(text: string): void {
    this.area.replaceChildren(h('p', { class: 'success' }, text));
  }

  error(text: string, { id, retry }: { id?: string; retry?: () => void } = {}): void {
    const message = h('p', { class: 'error', role: 'alert' }, text, ...idNote(id));
    if (!retry) {
      this.area.replaceChildren(message);
      return;
    }
    const button = h('button', { type: 'button', class: 'secondary' }, 'Try again');
    button.addEventListener('click', retry, { once: true });
    this.area.replaceChildren(message, button);
    button.focus();
  }

  clear(): void {
    this.area.replaceChildren();
  }
}
