import type { ObjectDetails } from '../../gen/client/zitadel/object';
import { h } from './dom';

/** "26 Nov 2026, 15:31:07", in the operator's own locale and time zone, with the exact instant in <time datetime>. */
function when(date: Date | undefined): Node {
  if (!date) return document.createTextNode('—');
  const text = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return h('time', { datetime: date.toISOString() }, text);
}

/** The details of the last change: which event it was, when, and whose. */
export function detailsRender(list: HTMLDListElement, details: ObjectDetails | undefined): void {
  const rows: [string, string, Node | string][] = details
    ? [
        ['Sequence', 'detail-sequence', details.sequence],
        ['Last change', 'detail-change-date', when(details.changeDate)],
        ['First added', 'detail-creation-date', when(details.creationDate)],
        ['Resource owner (instance)', 'detail-resource-owner', details.resourceOwner],
      ]
    : [];
  list.replaceChildren(...rows.flatMap(([term, id, value]) => [h('dt', {}, term), h('dd', { id }, value)]));
}
