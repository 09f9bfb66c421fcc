import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ListenerReply } from '../../src/api/wire.js';
import { missingToolReason } from '../helpers/external-tool.js';
import { CHROMIUM_PATH, launchBrowser } from './browser.js';
import { fixture, pollUntil, type TendUnderTest, useTend } from './harness.js';

/** The dashboard's URL with the token, on a free port, as `tend dashboard` prints it. */
async function openDashboard(tend: TendUnderTest): Promise<{ url: string; token: string }> {
  const listener = await tend.api<ListenerReply>('PUT', '/v1/daemon/listener', { port: 0 });
  assert.equal(listener.status, 200);
  const printed = JSON.parse(await tend.ok(['dashboard', '--no-open', '--json'])) as {
    dashboardUrl: string;
  };
  const token = readFileSync(join(tend.home, 'token'), 'utf8').trim();
  return { url: printed.dashboardUrl, token };
}

/** One cell of a `web` instance's row in the live table, once it shows exactly `value`. */
function instanceCell(page: Page, instance: number, name: string, value: string | number) {
  return page.locator(
    `tbody[data-program="web"] tr[data-instance="${instance}"] td[data-cell="${name}"]`,
    {
      hasText: new RegExp(`^${value}$`),
    },
  );
}

function pidCell(page: Page, instance: number, pid: number | null) {
  return instanceCell(page, instance, 'pid', String(pid));
}

/** The text of one cell of an instance's row in the live table. */
function cell(page: Page, program: string, instance: number, name: string) {
  return page
    .locator(
      `tbody[data-program="${program}"] tr[data-instance="${instance}"] td[data-cell="${name}"]`,
    )
    .textContent();
}

async function startPool(tend: TendUnderTest): Promise<void> {
  await tend.ok([
    'start',
    '--name',
    'web',
    '--instances',
    '2',
    '--min',
    '1',
    '--max',
    '3',
    ...fixture('forever'),
  ]);
}

const NO_CHROMIUM = missingToolReason(CHROMIUM_PATH, 'chromium');

test('the dashboard shows the programs, drops the token from the address bar into sessionStorage, and works with the keyboard', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const tend = useTend(t);
  await startPool(tend);
  const { url, token } = await openDashboard(tend);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('tbody[data-program="web"] tr[data-instance="1"]').waitFor();
  const web = await tend.program('web');
  assert.equal(await cell(page, 'web', 0, 'pid'), String(web.instances[0]?.pid));
  assert.equal(await cell(page, 'web', 1, 'pid'), String(web.instances[1]?.pid));
  await page.locator('.connection[data-state="live"]').waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address bar');
  assert.equal(await page.evaluate('sessionStorage.getItem("tend.token")'), token);
  assert.doesNotMatch(readFileSync(join(tend.home, 'daemon.log'), 'utf8'), new RegExp(token));

  // Keyboard: Tab reaches the program's name first, Enter selects it, the next Tab its actions.
  await page.keyboard.press('Tab');
  assert.equal(await page.locator(':focus').getAttribute('title'), 'Show web');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator(':focus').getAttribute('aria-pressed'), 'true');
  await page.keyboard.press('Tab');
  assert.equal(await page.locator(':focus').textContent(), 'Start');
});

test('an instance killed from outside shows its exit and its restart within a second', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const tend = useTend(t);
  await startPool(tend);
  const { url } = await openDashboard(tend);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  await page.goto(url);
  // A run past min uptime is restarted at once (a younger one would wait out a backoff).
  const before = await pollUntil('instance 0 to be past its min uptime', async () => {
    const program = await tend.program('web');
    const instance = program.instances[0];
    return instance?.uptimeMs != null && instance.uptimeMs > program.spec.minUptimeMs
      ? instance
      : undefined;
  });
  await pidCell(page, 0, before.pid).waitFor();

  const killedAt = Date.now();
  process.kill(before.pid as number, 'SIGKILL');
  const withinASecond = { timeout: 1_000 };
  await Promise.all([
    instanceCell(page, 0, 'restarts', before.restarts + 1).waitFor(withinASecond),
    page.locator('table.exits', { hasText: 'SIGKILL' }).waitFor(withinASecond),
    page.locator('.feed li', { hasText: 'web:0 exited SIGKILL' }).waitFor(withinASecond),
  ]);
  const after = await tend.program('web');
  assert.notEqual(after.instances[0]?.pid, before.pid);
  await pidCell(page, 0, after.instances[0]?.pid ?? null).waitFor({ timeout: 1_000 });
  assert.ok(Date.now() - killedAt < 1_000);
});

test('the restart and scale buttons work, and a scale past max shows the refusal', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const tend = useTend(t);
  await startPool(tend);
  const { url } = await openDashboard(tend);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('tbody[data-program="web"] tr[data-instance="1"]').waitFor();
  const before = await tend.program('web');

  await page.getByRole('button', { name: 'Restart', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Restarted web' }).waitFor();
  const restarted = await tend.program('web');
  for (const [index, instance] of restarted.instances.entries()) {
    assert.notEqual(instance.pid, before.instances[index]?.pid, `instance ${index} has a new pid`);
    await pidCell(page, index, instance.pid).waitFor();
  }

  await page.getByRole('button', { name: 'Scale up by one' }).click();
  await page.locator('tbody[data-program="web"] tr[data-instance="2"]').waitFor();
  assert.equal((await tend.program('web')).instances.length, 3);
  assert.match(
    String(await page.locator('#scale-label').textContent()),
    /Pool: 3 \(min 1, max 3\)/,
  );

  await page.getByRole('button', { name: 'Scale up by one' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'TEND_ERR_SCALE_OUT_OF_BOUNDS' });
  await refusal.waitFor();
  assert.match(String(await refusal.textContent()), /max/);
  assert.equal((await tend.program('web')).instances.length, 3, 'nothing changed');
  assert.equal(await page.locator('tbody[data-program="web"] tr').count(), 3);
});

test('a wrong token is refused: the page says so and forgets it', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const tend = useTend(t);
  await tend.ok(['daemon', 'start']);
  const { url, token } = await openDashboard(tend);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  const wrong = `${token.slice(0, -2)}xx`;
  await page.goto(url.replace(/#token=.*$/, `#token=${wrong}`));
  await page.getByText("tend refused this page's token").waitFor();
  assert.match(String(await page.getByRole('alert').textContent()), /the one sent is not it/);
  assert.equal(await page.evaluate('sessionStorage.getItem("tend.token")'), null);
  assert.equal(await page.locator('table.programs').count(), 0);
});

test('a lost connection is shown, retried, and the page recovers when the daemon is back', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const tend = useTend(t);
  await startPool(tend);
  const { url } = await openDashboard(tend);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  await page.goto(url);
  const before = await tend.program('web');
  await pidCell(page, 0, before.instances[0]?.pid ?? null).waitFor();

  await tend.ok(['daemon', 'stop']);
  await page.locator('.connection', { hasText: 'connection lost' }).waitFor();

  // The listener's address and the token are saved: the new daemon answers the same page.
  await tend.ok(['daemon', 'start']);
  const after = await tend.program('web');
  assert.notEqual(after.instances[0]?.pid, before.instances[0]?.pid);
  await pidCell(page, 0, after.instances[0]?.pid ?? null).waitFor({ timeout: 15_000 });
  await page.locator('.connection:not(:has-text("connection lost"))').waitFor();
});

test('signal and delete (after a confirmation that Cancel and Escape back out of) work from the page', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const tend = useTend(t);
  await startPool(tend);
  const { url } = await openDashboard(tend);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('tbody[data-program="web"] tr[data-instance="1"]').waitFor();

  await page.getByLabel('Signal to send').selectOption('USR2');
  await page.getByLabel('Instances to signal').selectOption('1');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('status').filter({ hasText: 'Sent SIGUSR2 to web:1' }).waitFor();

  await page.getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete web?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Delete…' }).click();
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await tend.program('web')).name, 'web', 'still there after Cancel and Escape');

  await page.getByRole('button', { name: 'Delete…' }).click();
  await dialog.getByRole('button', { name: 'Delete web' }).click();
  await page.locator('tbody[data-program="web"]').waitFor({ state: 'detached' });
  const gone = await tend.api('GET', '/v1/programs/web');
  assert.equal(gone.status, 404);
});
