import { LIFETIMES } from './lifetimes';

/**
 * The server's field violations (google.rpc.BadRequest) in the page's own
 * words: its labels and its units, not proto field names. The server writes
 * each description as "<field> <reason>" (src/domain/oidc-settings.ts
 * validateLifetimes, with the reasons of src/domain/duration.ts
 * positiveDurationProblem); the reason is what is put in words here.
 */

/** The longest lifetime the server takes: google.protobuf.Duration's ±315,576,000,000 s, in the page's largest unit. */
export const LONGEST_DAYS = 3_652_500;

/**
 * Each reason the server gives, as the rest of a sentence that starts with
 * the field's label. The last two need a hand-made request: the page always
 * sends a well-formed Duration.
 */
const REASONS: Readonly<Record<string, string>> = {
  'is required': 'is required.',
  'must be greater than 0': 'must be more than 0.',
  'must not be negative': 'must be more than 0.',
  'must be within ±315576000000s': `must be more than 0 and at most ${LONGEST_DAYS.toLocaleString('en')} days (about 10,000 years).`,
  'nanos must be between -999999999 and 999999999': 'is not a valid length of time.',
  'seconds and nanos must have the same sign': 'is not a valid length of time.',
};

/** What to show for one violation on the field labelled `label`. */
export function fieldErrorText(label: string, field: string, description: string): string {
  const words = description.startsWith(`${field} `) ? REASONS[description.slice(field.length + 1)] : undefined;
  // A reason this page has no words for yet (a newer server): the server's own text, under the page's label.
  return words === undefined ? `${label}: ${description}` : `${label} ${words}`;
}

export interface FieldErrors {
  /** Proto field name to the page's sentence, for the fields the page shows. */
  readonly byField: ReadonlyMap<string, string>;
  /** The server's descriptions of fields the page does not show (a newer server's). */
  readonly elsewhere: readonly string[];
}

export function fieldErrorsFrom(violations: ReadonlyMap<string, string>): FieldErrors {
  const byField = new Map<string, string>();
  const elsewhere: string[] = [];
  for (const [field, description] of violations) {
    const lifetime = LIFETIMES.find((l) => l.field === field);
    if (lifetime) byField.set(field, fieldErrorText(lifetime.label, field, description));
    else elsewhere.push(description);
  }
  return { byField, elsewhere };
}

/** The line beside Save that sums the field errors up: how many to fix, and any the page cannot place. */
export function fieldErrorsSummary({ byField, elsewhere }: FieldErrors): string {
  const sentences: string[] = [];
  if (byField.size > 0) sentences.push(`Not saved: ${byField.size === 1 ? 'one value needs' : `${byField.size} values need`} fixing.`);
  if (elsewhere.length > 0) {
    const lead = sentences.length > 0 ? 'The server also refused' : 'Not saved: the server refused';
    sentences.push(`${lead} a value this page does not show: “${elsewhere.join('; ')}”.`);
  }
  return sentences.join(' ');
}
