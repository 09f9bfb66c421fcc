/**
 * tend's web dashboard open in headless Chromium (Debian's, driven by playwright-core), for the
 * cost of watching. Used only when all three are there: `tend dashboard`, /usr/bin/chromium and
 * playwright-core; otherwise the caller is told why and uses a stand-in.
 */
import { existsSync } from 'node:fs';
import { type CleanupHandle, onCleanup } from './cleanup.js';
import type { TendManager } from './tend.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
/** The live table's program rows: once one shows, the page has its data and its event stream. */
const PROGRAM_ROW_SELECTOR = 'tbody[data-program]';
const PAGE_READY_TIMEOUT_MS = 30_000;

/** The few playwright-core calls used here (it is loaded at run time: not every checkout has it). */
interface PlaywrightPage {
  goto(url: string): Promise<unknown>;
  locator(selector: string): { first(): { waitFor(options: { timeout: number }): Promise<void> } };
  close(): Promise<void>;
}
interface PlaywrightBrowser {
  newPage(): Promise<PlaywrightPage>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: {
    launch(options: { executablePath: string; args: string[] }): Promise<PlaywrightBrowser>;
  };
}

/** A headless browser that can open tend's dashboard, one page at a time. */
export class DashboardViewer {
  readonly #browser: PlaywrightBrowser;
  readonly #url: string;
  readonly #cleanup: CleanupHandle;
  #page: PlaywrightPage | undefined;

  private constructor(browser: PlaywrightBrowser, url: string) {
    this.#browser = browser;
    this.#url = url;
    this.#cleanup = onCleanup('close headless Chromium', () => this.#browser.close());
  }

  /** A viewer for this daemon's dashboard, or the reason there cannot be one. */
  static async create(tend: TendManager): Promise<DashboardViewer | string> {
    if (!existsSync(CHROMIUM_PATH)) return `no Chromium at ${CHROMIUM_PATH}`;
    let playwright: Playwright;
    try {
      const name = 'playwright-core';
      playwright = (await import(name)) as Playwright;
    } catch {
      return 'playwright-core is not installed';
    }
    const url = await tend.dashboardUrl();
    if (url === undefined) return 'this tend has no `tend dashboard`';
    const browser = await playwright.chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    });
    return new DashboardViewer(browser, url);
  }

  /** Opens the dashboard in a new page and resolves once its table shows programs. */
  async open(): Promise<void> {
    const page = await this.#browser.newPage();
    this.#page = page;
    await page.goto(this.#url);
    await page.locator(PROGRAM_ROW_SELECTOR).first().waitFor({ timeout: PAGE_READY_TIMEOUT_MS });
  }

  /** Closes the open page, if any. */
  async closePage(): Promise<void> {
    await this.#page?.close();
    this.#page = undefined;
  }

  /** Closes the browser. */
  close(): Promise<void> {
    return this.#cleanup.runNow();
  }
}
