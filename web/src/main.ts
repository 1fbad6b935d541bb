import './styles.css';
import type { ObjectDetails } from '../../gen/client/zitadel/object';
import { apiBaseFrom } from './api-base';
import { type CallProblem, callProblemFrom, problemId, problemText } from './call-problem';
import { detailsRender } from './details-view';
import { byId } from './dom';
import { fieldErrorsFrom, fieldErrorsSummary } from './field-errors';
import { LifetimesEditor } from './lifetimes-editor';
import { Messages, idNote } from './messages';
import { type SettingsApi, settingsApi } from './settings-api';
import { TokenStore } from './token-store';

/*
 * The settings page: a token prompt, then the four lifetimes with the
 * details of their last change, saved through UpdateOIDCSettings over
 * gRPC-Web. This file only wires the parts together and decides where each
 * outcome is shown.
 */

const base = apiBaseFrom(location);
const tokens = new TokenStore();

const tokenSection = byId('token-section', HTMLElement);
const tokenForm = byId('token-form', HTMLFormElement);
const tokenInput = byId('token', HTMLInputElement);
const tokenError = byId('token-error', HTMLElement);
const settingsSection = byId('settings-section', HTMLElement);
const settingsHeading = byId('settings-heading', HTMLElement);
const settingsForm = byId('settings-form', HTMLFormElement);
const saveButton = byId('save', HTMLButtonElement);
const detailsList = byId('details', HTMLDListElement);
const editor = new LifetimesEditor(byId('lifetimes', HTMLElement));
const pageMessages = new Messages(byId('page-message', HTMLElement));
const saveMessages = new Messages(byId('save-message', HTMLElement));

let api: SettingsApi | undefined;
/** False after Get answered NOT_FOUND: then saving adds the settings. */
let settingsExist = true;
let sequence: string | undefined;
let busy = false;

byId('api-base', HTMLElement).textContent = base;

function showTokenPrompt(error = '', id?: string): void {
  api = undefined;
  settingsSection.hidden = true;
  tokenSection.hidden = false;
  tokenError.replaceChildren(...(error ? [error, ...idNote(id)] : []));
  if (error) tokenInput.setAttribute('aria-invalid', 'true');
  else tokenInput.removeAttribute('aria-invalid');
  tokenInput.focus();
}

function showDetails(details: ObjectDetails | undefined): void {
  sequence = details?.sequence;
  detailsRender(detailsList, details);
}

/** Shows a failed call where it belongs; `retry` repeats it when the server could not be reached. */
function report(problem: CallProblem, action: 'load' | 'save', retry: () => void): void {
  const place = action === 'load' ? pageMessages : saveMessages;
  const id = problemId(problem);
  switch (problem.kind) {
    case 'unauthenticated':
      tokens.clear();
      pageMessages.clear();
      saveMessages.clear();
      showTokenPrompt('This token was not accepted: it is unknown, expired or revoked. Enter a valid token.', id);
      return;
    case 'permission':
      place.error(
        action === 'save'
          ? 'Not saved: this token may read the settings but not change them. Saving needs the iam.write permission (an IAM_OWNER token).'
          : 'This token may not read the settings: that needs the iam.read permission.',
        { id },
      );
      return;
    case 'invalid': {
      const errors = fieldErrorsFrom(problem.details.violations);
      const first = editor.showErrors(errors.byField, id);
      // No violations at all: the server refused the request as a whole (e.g. one it could not decode).
      const summary = fieldErrorsSummary(errors) || `Not saved. The server said: “${problemText(problem)}”.`;
      place.error(summary, { id });
      first?.focus();
      return;
    }
    case 'not-found':
      settingsExist = false;
      place.info('This instance has no OIDC settings yet. Enter the four lifetimes and save to add them.');
      return;
    case 'unreachable':
      place.error(`Could not reach the server at ${base}. Check the connection, then try again.`, { retry });
      return;
    case 'other': {
      const lead = action === 'save' ? 'Not saved.' : 'The settings could not be loaded.';
      place.error(`${lead} The server said: “${problemText(problem)}”.`, { id });
      return;
    }
  }
}

async function load(): Promise<void> {
  if (!api) return;
  pageMessages.info('Loading the settings…');
  try {
    const settings = await api.get();
    settingsExist = true;
    editor.show(settings);
    showDetails(settings.details);
    pageMessages.clear();
  } catch (error) {
    const problem = callProblemFrom(error);
    report(problem, 'load', () => void load());
    if (problem.kind !== 'not-found') return;
    editor.show({ accessTokenLifetime: undefined, idTokenLifetime: undefined, refreshTokenIdleExpiration: undefined, refreshTokenExpiration: undefined });
    showDetails(undefined);
  }
  tokenSection.hidden = true;
  settingsSection.hidden = false;
  settingsHeading.focus();
}

async function save(): Promise<void> {
  if (!api || busy) return;
  saveMessages.clear();
  const { lifetimes, unreadable } = editor.read();
  if (unreadable.length > 0) {
    saveMessages.error('Not saved: enter each lifetime as a number.');
    document.getElementById(unreadable[0] ?? '')?.focus();
    return;
  }
  busy = true;
  settingsForm.setAttribute('aria-busy', 'true');
  saveButton.setAttribute('aria-disabled', 'true');
  saveMessages.info('Saving…');
  const before = sequence;
  try {
    const details = settingsExist ? await api.update(lifetimes) : await api.add(lifetimes);
    settingsExist = true;
    editor.show(lifetimes);
    showDetails(details);
    saveMessages.success(
      details?.sequence === before
        ? 'Saved. Nothing changed: the settings already had these values.'
        : `Saved. The settings are now at sequence ${details?.sequence ?? '?'}.`,
    );
  } catch (error) {
    report(callProblemFrom(error), 'save', () => void save());
  } finally {
    busy = false;
    settingsForm.removeAttribute('aria-busy');
    saveButton.removeAttribute('aria-disabled');
  }
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  // Pasting a whole "Bearer <token>" header value is a common slip.
  const token = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
  if (!token) {
    showTokenPrompt('Enter a personal access token.');
    return;
  }
  tokens.set(token);
  api = settingsApi(base, token);
  tokenError.replaceChildren();
  tokenInput.removeAttribute('aria-invalid');
  void load();
});

settingsForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void save();
});

byId('forget', HTMLButtonElement).addEventListener('click', () => {
  tokens.clear();
  tokenInput.value = '';
  pageMessages.clear();
  saveMessages.clear();
  editor.clearErrors();
  showTokenPrompt();
});

const remembered = tokens.get();
if (remembered) {
  api = settingsApi(base, remembered);
  void load();
} else {
  showTokenPrompt();
}
