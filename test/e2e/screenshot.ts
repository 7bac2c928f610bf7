// `node --import tsx test/e2e/screenshot.ts [out.png]`: a full-page picture of the demo.
import { launchChromium, startDemo } from './harness.js';

const out = process.argv[2] ?? 'demo.png';
const demo = await startDemo();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => console.log(`[page] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  await page.goto(demo.url, { waitUntil: 'networkidle' });
  await page.waitForTimeout(500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await demo.close();
}
