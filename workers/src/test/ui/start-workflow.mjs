// Starts a workflow through the Temporal Web UI's own start-workflow form, as an operator would, in Debian's Chromium
// (driven by playwright-core; no browser is downloaded); waits for the run to complete, runs its `status` query in the
// UI and prints the query result the page shows as one JSON line; screenshots of the finished run go to --screenshots.
//
// node start-workflow.mjs --ui URL --workflow-id ID --task-queue Q --workflow-type T --input JSON --screenshots DIR
//                         [--chromium PATH] [--timeout-seconds N]
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    ui: { type: 'string' }, 'workflow-id': { type: 'string' }, 'task-queue': { type: 'string' },
    'workflow-type': { type: 'string' }, input: { type: 'string' }, screenshots: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' }, 'timeout-seconds': { type: 'string', default: '600' },
  },
});
for (const required of ['ui', 'workflow-id', 'task-queue', 'workflow-type', 'input', 'screenshots']) {
  if (!o[required]) {
    console.error(`--${required} is required`);
    process.exit(2);
  }
}
const deadline = Date.now() + Number(o['timeout-seconds']) * 1000;
mkdirSync(o.screenshots, { recursive: true });
const shot = (page, name) => page.screenshot({ path: `${o.screenshots}/${name}.png`, fullPage: true });

const browser = await chromium.launch({ executablePath: o.chromium, headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
try {
  // 1. The start-workflow form, filled and submitted as a person would.
  await page.goto(`${o.ui}/namespaces/default/workflows/start-workflow`, { waitUntil: 'networkidle' });
  await page.locator('#workflowId').fill(o['workflow-id']);
  await page.locator('#taskQueue').fill(o['task-queue']);
  await page.locator('#workflowType').fill(o['workflow-type']);
  // the input editor (CodeMirror) hands its text to the form when it loses focus
  await page.locator('.cm-content').first().click();
  await page.keyboard.insertText(o.input);
  await page.locator('#workflowType').click();
  await page.getByTestId('start-workflow-button').waitFor({ state: 'visible' });
  await shot(page, '1-start-form');
  await page.getByTestId('start-workflow-button').click();
  await page.getByText(/Workflow started successfully|Error starting workflow/).first().waitFor({ timeout: 60000 });
  if (await page.getByText('Workflow started successfully').count() === 0) {
    throw new Error(`the UI did not start the workflow: ${(await page.locator('[role=alert]').allInnerTexts()).join(' ')}`);
  }
  console.error('started from the UI');

  // 2. The run's own page (the UI opens its latest run) until it shows the run completed.
  while (true) {
    await page.goto(`${o.ui}/namespaces/default/workflows/${encodeURIComponent(o['workflow-id'])}`, { waitUntil: 'load' });
    const status = page.getByTestId('execution-status').first();
    await status.waitFor({ timeout: 30000 });
    const text = (await status.textContent()).trim();
    if (/completed/i.test(text)) break;
    if (/failed|terminated|canceled|timed out/i.test(text)) throw new Error(`the run ended ${text}`);
    if (Date.now() > deadline) throw new Error(`not completed in time (status '${text}')`);
    await page.waitForTimeout(3000);
  }
  const runUrl = page.url().replace(/\/[a-z-]+$/, '');
  await shot(page, '2-completed');

  // 3. The status query, from the UI's Queries tab: `status` is the one query the pipeline answers, preselected.
  await page.getByTestId('queries-tab').click();
  await page.getByText('Query Type').first().waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: 'Run Query' }).click();
  await page.waitForFunction(() => document.body.innerText.includes('"summary"'), null, { timeout: 60000 });
  await shot(page, '3-status-query');
  // the smallest element that shows the whole query result
  const shown = await page.evaluate(() => {
    let best = null;
    for (const el of document.querySelectorAll('body *')) {
      const t = el.innerText || '';
      if (t.includes('"summary"') && t.includes('"workflowId"') && (!best || t.length < best.length)) best = t;
    }
    return best;
  });
  console.log(JSON.stringify({ runUrl, query: shown }));
} catch (e) {
  await shot(page, 'failure').catch(() => {});
  console.error(`UI step failed at ${page.url()}: ${e.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
