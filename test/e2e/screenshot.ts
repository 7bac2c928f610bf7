// `node --import tsx test/e2e/screenshot.ts [dir]`: pictures of the demo in its main states,
// light and dark: the page, the Universa popup with an address list, a typo in a typed
// address, and the polling view.
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchChromium, startDemo } from './harness.js';

const dir = process.argv[2] ?? '.tmp/screens';
mkdirSync(dir, { recursive: true });
const demo = await startDemo();
const browser = await launchChromium();

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage });
  console.log(`wrote ${dir}/${name}.png`);
}

try {
  for (const theme of ['light', 'dark'] as const) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
    await page.goto(demo.url, { waitUntil: 'networkidle' });
    if (theme === 'dark') await page.click('#theme');
    await shoot(page, `${theme}-page`);

    await page.click('#get-token');
    await page.locator('universa-select-address dialog[open]').waitFor();
    await page.locator('universa-select-address dialog').scrollIntoViewIfNeeded();
    await shoot(page, `${theme}-universa-popup`, false);
    await page.locator('universa-select-address [part="input"]').fill('2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrY');
    await shoot(page, `${theme}-universa-typo`, false);
    await page.locator('universa-select-address [part="input"]').fill('');
    await page.locator('universa-select-address input[type=radio]').first().check();
    await page.locator('universa-select-address [part="ok"]').click();
    await page
      .locator('universa-select-address [part="status"]')
      .filter({ hasText: /issuer/ })
      .waitFor();
    await page.locator('#universa').scrollIntoViewIfNeeded();
    await shoot(page, `${theme}-universa-polling`, false);
    await context.close();
  }
} finally {
  await browser.close();
  await demo.close();
}
