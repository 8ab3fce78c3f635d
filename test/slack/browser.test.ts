// A person in a browser: headless Chromium (Debian's) opens the stand-in's
// page, sees the run's thread, picks who they are, clicks approve, and sees
// the decision message change to say who decided.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { runIdFor } from '../../worker/gateway/index.ts';
import { workflowBundle } from '../helpers/temporal.ts';
import { byKey, startHarness, waitFor, type Harness } from './harness.ts';

const CHROMIUM = process.env.NIGHTSHIFT_CHROMIUM ?? '/usr/bin/chromium';

let h: Harness;
let browser: BrowserContext;

beforeAll(async () => {
  h = await startHarness(await workflowBundle());
  // A fresh profile directory every run (Playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nightshift-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

test('the stand-in page shows the thread, and approving there decides the run', async () => {
  const sent = await h.standin.interactor.command({ user: 'U0ALICE', text: 'run slack-drill' });
  const runId = runIdFor('slack-drill', sent.triggerId);
  await waitFor('the decision', () => byKey(h.standin, `${runId}#decision:choose`));

  const page = await browser.newPage();
  await page.goto(h.standin.url);
  const decision = page.locator(`.msg[data-key="${runId}#decision:choose"]`);
  await decision.getByText('Restart the cart in staging?').waitFor();
  await page.locator(`.msg[data-key="${runId}"]`).getByText('waiting for a decision').waitFor();
  await page
    .locator(`.msg[data-key="${runId}#diagnosis"]`)
    .getByText('Packets from checkout to cart are dropped')
    .waitFor();

  await page.selectOption('#user', 'U0BOB');
  await decision.locator('button[data-action-id="nightshift:decide:restart-cart"]').click();
  await page.locator('.ephemeral').getByText('Accepted').waitFor();
  await decision.getByText('decided by @bob').waitFor({ timeout: 20_000 });
  expect(await decision.locator('button').count()).toBe(0);
  await page.locator(`.msg[data-key="${runId}"]`).getByText('completed').waitFor({ timeout: 20_000 });
  const result = await h.client.workflow.getHandle(runId).result();
  expect(result.decisions).toEqual([
    expect.objectContaining({ option: 'restart-cart', by: expect.objectContaining({ id: 'U0BOB' }) }),
  ]);
});
