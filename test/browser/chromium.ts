import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (.ci/run installs it); a browser is never downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, and quiet: no GPU, no QUIC, no calls home, no updates, no sync, no first-run UI. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * One Chromium with a fresh, empty profile (--user-data-dir) that is removed
 * on close. Pages opened in it share nothing but cookies and the HTTP cache;
 * sessionStorage, where the page keeps its token, is per tab.
 */
export async function launchChromium(viewport = { width: 360, height: 800 }): Promise<Chromium> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (bash .ci/run does)`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-settings-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go: gitignored, kept after the run for a person to look at. */
export const TEST_OUTPUT = path.join(__dirname, '../../test-output');
