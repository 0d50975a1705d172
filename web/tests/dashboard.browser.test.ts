import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '@novacron/e2e';
import { BudgetsDocument, CreateBudgetDocument, CreateVmDocument, ProvidersDocument, StartVmDocument, VMsDocument } from '@novacron/sdk';
import type { Page } from 'playwright-core';
import { buildDashboard } from './support/buildDashboard.ts';
import { seriousViolations } from './support/checkAccessibility.ts';
import { launchChromium, type LaunchedChromium } from './support/launchChromium.ts';

const screenshots = fileURLToPath(new URL('../.test-results/screenshots/', import.meta.url));

/** Saves a full-page screenshot with the test results and checks the page with axe. */
async function inspect(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  expect(await seriousViolations(page), `axe on the ${name} page`).toEqual([]);
}

describe('the web dashboard in Chromium against the real platform', () => {
  let platform: Platform;
  let browser: LaunchedChromium;
  let page: Page;
  let origin: string;
  let choice: { provider: string; region: string; instanceType: string; image: string };

  beforeAll(async () => {
    // Fail (never skip) at once when Chromium is missing, before starting anything heavy.
    browser = await launchChromium();
    const webRoot = await buildDashboard();
    // Metrics every second (instead of every minute), so the VM page's chart gets points during the test.
    platform = await startPlatform({ gatewayEnv: { WEB_ROOT: webRoot }, workerEnv: { METRICS_COLLECT_INTERVAL_MS: '1000', SIM_METRICS_INTERVAL_MS: '1000', BILLING_TASKS_INTERVAL_MS: '1000' } });
    origin = new URL(platform.gateway.url).origin;
    await rm(screenshots, { recursive: true, force: true });
    await mkdir(screenshots, { recursive: true });
    const { providers } = await platform.client.request(ProvidersDocument);
    const provider = providers[0]!;
    const region = provider.regions.find((entry) => entry.instanceTypes.length > 0)!;
    choice = { provider: provider.name, region: region.name, instanceType: region.instanceTypes[0]!.name, image: provider.capabilities.images[0]! };
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('shows a refused development token with its error code, then signs in with a development token', async () => {
    await page.goto(`${origin}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to NovaCron' }).isVisible()).toBe(true);
    await inspect(page, 'sign-in');
    await page.getByLabel('Tenant').fill('-not-a-tenant');
    await page.getByRole('button', { name: 'Use a development token' }).click();
    await page.getByRole('alert').filter({ hasText: 'BAD_USER_INPUT' }).waitFor();
    await page.getByLabel('Tenant').fill('default');
    await page.getByLabel('Role').selectOption('admin');
    await page.getByRole('button', { name: 'Use a development token' }).click();
    await page.getByTestId('signed-in-as').filter({ hasText: 'default · admin' }).waitFor();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    // The token is in sessionStorage for this tab, never in localStorage.
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('novacron.session'), local: JSON.stringify(localStorage) }));
    expect(stored.session).toContain('"token"');
    expect(stored.local).not.toContain('eyJ');
  });

  it('suggests placements and creates a VM from the best one, showing it reach RUNNING live without reloading', async () => {
    // A marker on window survives only as long as the document does: a reload would drop it.
    await page.evaluate(() => Object.assign(window, { novacronNoReload: true }));
    await page.getByRole('link', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Create a VM' }).waitFor();
    await page.getByLabel('vCPUs').fill('2');
    await page.getByLabel('Memory (GiB)').fill('4');
    await page.getByRole('button', { name: 'Suggest placement' }).click();
    const best = page.getByTestId('placement-candidate').first();
    await best.waitFor();
    await inspect(page, 'create-suggestions');
    expect(await best.textContent()).toMatch(/\$\d/);
    await best.getByRole('button', { name: /^Use / }).click();
    await expect.poll(() => page.getByLabel('Provider').inputValue()).not.toBe('');
    expect(await page.getByLabel('Instance type').inputValue()).not.toBe('');
    await page.getByLabel('Name', { exact: true }).fill('Bad Name');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Name', { exact: true }).fill('web-e2e-1');
    const image = await page.getByLabel('Image').locator('option').nth(1).getAttribute('value');
    await page.getByLabel('Image').selectOption(image!);
    await page.getByLabel(/Labels/).fill('team=web');
    await inspect(page, 'create');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    // Either the operation appears, or the refusal (with its code) is the failure message.
    const operation = page.getByRole('region', { name: /Operation CREATE/ });
    const refusal = page.locator('[role=alert], .field-error').first();
    await Promise.race([
      operation.waitFor(),
      refusal.waitFor().then(async () => {
        throw new Error(`create refused: ${await refusal.textContent()}`);
      }),
    ]);
    await operation.locator('header .badge', { hasText: /SUCCEEDED|FAILED/ }).waitFor({ timeout: 120_000 });
    expect(await operation.locator('header .badge').textContent(), await operation.textContent() ?? '').toBe('SUCCEEDED');
    await page.getByTestId('created-vm').locator('.badge', { hasText: 'RUNNING' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { novacronNoReload?: boolean }).novacronNoReload)).toBe(true);
    await inspect(page, 'create-progress');
  });

  it('stops the VM from its page and follows the stop operation live', async () => {
    await page.getByTestId('created-vm').getByRole('link', { name: 'web-e2e-1' }).click();
    const title = page.getByRole('heading', { level: 1 });
    await title.filter({ hasText: 'web-e2e-1' }).waitFor();
    await page.getByRole('heading', { name: 'Placement' }).waitFor();
    await page.getByText('Created with an explicit provider, region and type').waitFor();
    const rate = async () => Number(((await page.getByTestId('hourly-rate').textContent()) ?? '').replace(/[^0-9.]/g, ''));
    await page.getByTestId('hourly-rate').waitFor();
    const runningRate = await rate();
    expect(runningRate).toBeGreaterThan(0);
    // CPU samples arrive (history and live vmMetrics) and the chart draws them.
    await expect.poll(async () => Number(await page.locator('.chart').getAttribute('data-points')), { timeout: 90_000 }).toBeGreaterThan(0);
    await inspect(page, 'vm');
    await page.getByRole('button', { name: 'Stop' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await inspect(page, 'vm-confirm-stop');
    await dialog.getByRole('button', { name: 'Stop' }).click();
    await title.locator('.badge', { hasText: 'STOPPED' }).waitFor({ timeout: 120_000 });
    await page.getByRole('region', { name: /Operation STOP/ }).locator('header .badge', { hasText: 'SUCCEEDED' }).waitFor();
    // Stopped, the VM pays for its disk only: the hourly rate drops below the running one.
    await expect.poll(rate, { timeout: 60_000 }).toBeLessThan(runningRate);
    expect(await page.evaluate(() => (window as unknown as { novacronNoReload?: boolean }).novacronNoReload)).toBe(true);
  });

  it('lists the fleet with filters and applies changes made by another client live', async () => {
    // A second VM made by another client (the API), and a start of the first one, both while the page is open.
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    const firstRow = page.getByRole('row').filter({ hasText: 'web-e2e-1' });
    await firstRow.locator('.badge', { hasText: 'STOPPED' }).waitFor();
    await platform.client.request(CreateVmDocument, { input: { name: 'api-made-1', ...choice, labels: { team: 'api' } } });
    await page.getByRole('row').filter({ hasText: 'api-made-1' }).waitFor();
    const { vms } = await platform.client.request(VMsDocument, { filter: { nameContains: 'web-e2e-1' }, first: 1 });
    await platform.client.request(StartVmDocument, { id: vms.edges[0]!.node.id });
    await firstRow.locator('.badge', { hasText: 'RUNNING' }).waitFor({ timeout: 120_000 });
    await page.getByLabel('Labels').fill('team=api');
    await expect.poll(() => page.getByRole('row').filter({ hasText: 'web-e2e-1' }).count()).toBe(0);
    await page.getByRole('row').filter({ hasText: 'api-made-1' }).waitFor();
    await page.getByLabel('Labels').fill('');
    await inspect(page, 'fleet');
    expect(await page.evaluate(() => (window as unknown as { novacronNoReload?: boolean }).novacronNoReload)).toBe(true);
  });

  it('stops selected VMs in bulk after a confirmation', async () => {
    const row = page.getByRole('row').filter({ hasText: 'web-e2e-1' });
    await row.getByRole('checkbox').check();
    await page.getByRole('toolbar', { name: 'Bulk actions' }).getByRole('button', { name: 'Stop' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Stop 1' }).click();
    await page.getByRole('status').filter({ hasText: '1 operation(s) queued' }).waitFor();
    await row.locator('.badge', { hasText: 'STOPPED' }).waitFor({ timeout: 120_000 });
  });

  it('shows the cost report and budgets, and a budget alert arriving live', async () => {
    await page.getByRole('link', { name: 'Costs' }).click();
    await page.getByRole('heading', { name: 'Costs' }).waitFor();
    await page.getByTestId('cost-total').waitFor();
    // A budget the running VMs have already outspent: billing's next check raises its alert, and the page shows it without reloading.
    await platform.client.request(CreateBudgetDocument, { input: { name: 'tiny', amount: '0.000001', scope: { providers: [choice.provider, 'aws', 'azure', 'gcp'].filter((name, index, all) => all.indexOf(name) === index) }, thresholds: [{ percent: 50, basis: 'ACTUAL' }] } });
    await page.getByTestId('budget-alerts').getByText('tiny').first().waitFor({ timeout: 90_000 });
    await page.getByText(/tiny \(monthly, alerts\)/).waitFor();
    await page.getByLabel('Group by').selectOption('LABEL');
    await page.getByLabel('Label key').fill('team');
    await page.getByRole('table').filter({ hasText: 'Spend by label' }).waitFor();
    await inspect(page, 'costs');
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
  });

  it('creates, edits and deletes a budget from the Costs page, flagging a bad amount before sending', async () => {
    await page.getByRole('link', { name: 'Costs' }).click();
    await page.getByRole('button', { name: 'New budget' }).click();
    const form = page.getByRole('form', { name: 'New budget' });
    await form.getByLabel('Budget name').fill('ui-budget');
    await form.getByLabel('Amount (USD per month)').fill('-5');
    await form.getByLabel('Providers (comma-separated)').fill(choice.provider);
    await form.getByLabel('Alert at (% of the amount, comma-separated)').fill('50, 90');
    await form.getByRole('button', { name: 'Create budget' }).click();
    await form.getByText('a USD amount with at most six decimals').waitFor();
    expect(await form.getByLabel('Amount (USD per month)').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Amount (USD per month)').fill('250');
    await form.getByRole('button', { name: 'Create budget' }).click();
    const item = page.getByTestId('budget').filter({ hasText: 'ui-budget' });
    await item.getByText(/ui-budget \(monthly, alerts\)/).waitFor();
    expect(await item.textContent()).toContain('$250.00');
    await inspect(page, 'costs-budget-created');

    await item.getByRole('button', { name: 'Edit budget ui-budget' }).click();
    const edit = page.getByRole('form', { name: 'Edit budget ui-budget' });
    expect(await edit.getByLabel('Amount (USD per month)').inputValue()).toBe('250');
    await edit.getByLabel('Amount (USD per month)').fill('300');
    await edit.getByLabel('When exceeded').selectOption('BLOCK_CREATE');
    await edit.getByRole('button', { name: 'Save budget' }).click();
    await item.getByText(/ui-budget \(monthly, blocks creates\)/).waitFor();
    const stored = (await platform.client.request(BudgetsDocument)).budgets.find((budget) => budget.name === 'ui-budget');
    expect(stored).toMatchObject({ amount: '300.000000', action: 'BLOCK_CREATE', scope: { providers: [choice.provider] } });
    expect(stored?.thresholds.map((threshold) => threshold.percent)).toEqual([50, 90]);

    await item.getByRole('button', { name: 'Edit budget ui-budget' }).click();
    await page.getByRole('form', { name: 'Edit budget ui-budget' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete budget' }).click();
    await item.waitFor({ state: 'detached' });
    expect((await platform.client.request(BudgetsDocument)).budgets.map((budget) => budget.name)).not.toContain('ui-budget');
  });

  it('keeps the pages usable in the dark theme', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await inspect(page, 'fleet-dark');
  });
});
