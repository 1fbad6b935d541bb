import { h } from './dom';
import { UNITS, type UnitId, amountToDuration, durationToAmount, formatDuration } from './duration-units';
import { LIFETIMES } from './lifetimes';
import { idNote } from './messages';
import type { Lifetimes } from './settings-api';

interface FieldElements {
  readonly amount: HTMLInputElement;
  readonly unit: HTMLSelectElement;
  readonly current: HTMLElement;
  readonly error: HTMLElement;
}

/** What the form holds: the lifetimes it could read, and the fields it could not. */
export interface EditorValues {
  readonly lifetimes: Lifetimes;
  /** Fields whose amount is not a number; the form has marked them. */
  readonly unreadable: readonly string[];
}

const isUnit = (value: string): value is UnitId => UNITS.some((u) => u.id === value);

/**
 * The four lifetime inputs, each an amount and a unit, with the stored value
 * in words and a place for what is wrong with it. Ids follow the proto field
 * names, so a server's field violation finds its field.
 */
export class LifetimesEditor {
  private readonly fields = new Map<string, FieldElements>();

  constructor(container: HTMLElement) {
    for (const { field, label, hint } of LIFETIMES) {
      const amount = h('input', {
        id: field,
        name: field,
        type: 'text',
        inputmode: 'decimal',
        autocomplete: 'off',
        spellcheck: 'false',
        'aria-describedby': `${field}-hint ${field}-error`,
      });
      const unit = h('select', { id: `${field}-unit`, name: `${field}-unit` });
      for (const u of UNITS) unit.append(h('option', { value: u.id }, u.many));
      const current = h('strong', { id: `${field}-current` }, '…');
      const error = h('p', { id: `${field}-error`, class: 'field-error' });
      container.append(
        h(
          'div',
          { class: 'lifetime' },
          h('label', { for: field }, label),
          h('p', { id: `${field}-hint`, class: 'hint' }, `${hint} Now: `, current),
          h(
            'div',
            { class: 'amount' },
            amount,
            h('label', { for: `${field}-unit`, class: 'visually-hidden' }, `${label} unit`),
            unit,
          ),
          error,
        ),
      );
      this.fields.set(field, { amount, unit, current, error });
    }
  }

  /** Shows stored values: in words beside each label, and in the inputs in the largest whole unit. */
  show(lifetimes: Lifetimes): void {
    for (const { key, field } of LIFETIMES) {
      const elements = this.fields.get(field);
      const value = lifetimes[key];
      if (!elements) continue;
      elements.current.textContent = value ? formatDuration(value) : 'not set';
      const { amount, unit } = value ? durationToAmount(value) : { amount: '', unit: 'hours' as const };
      elements.amount.value = amount;
      elements.unit.value = unit;
    }
  }

  read(): EditorValues {
    const lifetimes: Lifetimes = {
      accessTokenLifetime: undefined,
      idTokenLifetime: undefined,
      refreshTokenIdleExpiration: undefined,
      refreshTokenExpiration: undefined,
    };
    const unreadable: string[] = [];
    for (const { key, field } of LIFETIMES) {
      const elements = this.fields.get(field);
      if (!elements) continue;
      const text = elements.amount.value.trim();
      const unit = elements.unit.value;
      // An empty amount is sent as missing, so the server's own "is required" is what the operator reads.
      if (text === '' || !isUnit(unit)) continue;
      const duration = amountToDuration({ amount: text, unit });
      if (duration) lifetimes[key] = duration;
      else unreadable.push(field);
    }
    const problems = new Map(unreadable.map((field) => [field, 'Enter a number, such as 12 or 1.5.']));
    this.showErrors(problems);
    return { lifetimes, unreadable };
  }

  /**
   * Puts each problem (in the page's words) next to its field, with the
   * server's error id when it came from the server, and marks the input
   * invalid; clears the others. Answers the first input with a problem, in
   * page order, for focus.
   */
  showErrors(problems: ReadonlyMap<string, string>, id?: string): HTMLInputElement | undefined {
    let first: HTMLInputElement | undefined;
    for (const [field, { amount, error }] of this.fields) {
      const problem = problems.get(field);
      if (problem === undefined) {
        error.replaceChildren();
        amount.removeAttribute('aria-invalid');
      } else {
        error.replaceChildren(problem, ...idNote(id));
        amount.setAttribute('aria-invalid', 'true');
        first ??= amount;
      }
    }
    return first;
  }

  clearErrors(): void {
    this.showErrors(new Map());
  }
}
