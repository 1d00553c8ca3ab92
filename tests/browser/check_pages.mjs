// Opens kube-oidc-doctor's HTML reports in the system's Chromium (Debian's `chromium` package,
// never a downloaded browser) through playwright-core, and writes what it saw as JSON on stdout.
// tests/browser/test_browser.py writes the pages, runs this script and asserts on its answer.
//
// Usage: node check_pages.mjs SPEC.json   where SPEC is
//   {"executable": "/usr/bin/chromium", "pages": [{"name", "html", "shots"}]}
// Answer: one object per page: console errors, requests other than the page itself, where the
// verdict box sits in the first screen, the time axis's marks, the page width at 420 px, the
// colours in dark mode, and whether the folded evidence shows in print.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start;
// --disable-dev-shm-usage: containers often give /dev/shm 64 MB, too little for Chromium.
const browser = await chromium.launch({
  executablePath: spec.executable,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
const results = [];
try {
  for (const p of spec.pages) {
    const url = pathToFileURL(p.html).href;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const consoleErrors = [];
    const requests = [];
    page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') consoleErrors.push(msg.text()); });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    page.on('request', (req) => { if (req.url() !== url) requests.push(req.url()); });
    await page.goto(url, { waitUntil: 'load' });

    const verdict = await page.locator('#verdict').boundingBox();
    const verdictText = await page.locator('#verdict').innerText();
    const marks = await page.evaluate(() => Array.from(
      document.querySelectorAll('svg.timeline g.mark'),
      (g) => { const r = g.getBoundingClientRect(); return { kind: g.getAttribute('data-kind'), w: r.width, h: r.height }; },
    ));
    const noTimeline = await page.locator('#no-timeline').count() > 0 && await page.locator('#no-timeline').isVisible();
    await page.screenshot({ path: p.shots.wide, fullPage: false });

    await page.setViewportSize({ width: 420, height: 900 });
    const narrow = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    await page.screenshot({ path: p.shots.narrow, fullPage: true });

    await page.emulateMedia({ colorScheme: 'light' });
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: p.shots.dark, fullPage: false });

    await page.emulateMedia({ media: 'print', colorScheme: 'light' });
    const folded = page.locator('details:not([open]) table').first();
    const printShowsFolded = (await folded.count()) === 0 ? null : await folded.isVisible();

    results.push({
      name: p.name, consoleErrors, requests, verdict, verdictText, marks, noTimeline, narrow,
      light, dark, printShowsFolded, viewport: { width: 1280, height: 800 },
    });
    await context.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
