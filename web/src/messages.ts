import { h } from './dom';

/**
 * One place on the page where outcomes are told. The area is a polite live
 * region that is always in the document, so screen readers announce what is
 * put in it; errors go in as role="alert" to be announced at once. A
 * retryable error carries a "Try again" button, which takes the focus so a
 * keyboard user can retry with Enter.
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

  error(text: string, retry?: () => void): void {
    const message = h('p', { class: 'error', role: 'alert' }, text);
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
