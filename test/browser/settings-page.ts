import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Locator, Page, Request } from 'playwright-core';

const BUILT_PAGE = path.join(__dirname, '../../web/dist/index.html');

/** The proto field names the page uses as ids, with the labels an operator reads. */
export const FIELDS = {
  access_token_lifetime: 'Access token lifetime',
  id_token_lifetime: 'ID token lifetime',
  refresh_token_idle_expiration: 'Refresh token idle expiration',
  refresh_token_expiration: 'Refresh token expiration',
} as const;
export type Field = keyof typeof FIELDS;

/** A call the page made to the API, as the browser's network events saw it. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly url: string;
}

/**
 * Drives the settings page the way an operator does: by label and role, not
 * by CSS. Also records every call the page makes to AdminService.
 */
export class SettingsPage {
  readonly requests: ApiRequest[] = [];

  private constructor(readonly page: Page) {
    page.on('request', (request: Request) => {
      const url = new URL(request.url());
      if (!url.pathname.startsWith('/zitadel.admin.v1.AdminService/')) return;
      this.requests.push({
        method: request.method(),
        path: url.pathname,
        contentType: request.headers()['content-type'],
        url: request.url(),
      });
    });
  }

  /** A new tab (so an empty sessionStorage) at the page's URL. */
  static async open(context: BrowserContext, url: string): Promise<SettingsPage> {
    if (!fs.existsSync(BUILT_PAGE)) throw new Error(`${BUILT_PAGE} is missing: run npm run build`);
    const page = await context.newPage();
    const settings = new SettingsPage(page);
    await page.goto(url);
    return settings;
  }

  async signIn(token: string): Promise<void> {
    await this.page.getByLabel('Personal access token').fill(token);
    await this.page.keyboard.press('Enter');
  }

  /** Resolves once the lifetimes are on the page. */
  async loaded(): Promise<void> {
    await this.page.getByRole('heading', { name: 'Token lifetimes' }).waitFor();
    await this.page.waitForFunction(() => document.getElementById('access_token_lifetime-current')?.textContent !== '…');
  }

  amount(field: Field): Locator {
    return this.page.getByLabel(FIELDS[field], { exact: true });
  }

  unit(field: Field): Locator {
    return this.page.getByLabel(`${FIELDS[field]} unit`, { exact: true });
  }

  /** The stored value in words, beside the field's label. */
  current(field: Field): Promise<string> {
    return this.page.locator(`#${field}-current`).innerText();
  }

  fieldError(field: Field): Locator {
    return this.page.locator(`#${field}-error`);
  }

  async setLifetime(field: Field, amount: string, unit?: 'days' | 'hours' | 'minutes' | 'seconds'): Promise<void> {
    await this.amount(field).fill(amount);
    if (unit) await this.unit(field).selectOption(unit);
  }

  async save(): Promise<void> {
    await this.page.getByRole('button', { name: 'Save' }).click();
  }

  /** The outcome shown next to the Save button, once there is one (not "Saving…"). */
  async saveOutcome(): Promise<string> {
    const outcome = this.page.locator('#save-message').locator('.success, .error');
    await outcome.first().waitFor();
    return outcome.first().innerText();
  }

  detail(name: 'sequence' | 'change-date' | 'creation-date' | 'resource-owner'): Promise<string> {
    return this.page.locator(`#detail-${name}`).innerText();
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
