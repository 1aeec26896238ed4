// Measures what the map page costs on first load: every response the browser receives from
// opening the page until the map is idle, with its size as sent (the server compresses with
// gzip or brotli as the browser allows), gzipped here at level 6 (the budget's measure: the
// same for every file whatever the server chose), and raw. The budget is 600 KB gzipped,
// MapLibre included.
//
//     node web/scripts/weight.mjs http://127.0.0.1:8080/ [--json]
//
// The browser is Debian's Chromium (VIGIE_TEST_CHROMIUM, default /usr/bin/chromium) in a
// fresh profile: an empty cache, as a first visit.

import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from './browser.mjs';

export const BUDGET_GZIP_BYTES = 600 * 1024;

/** Opens `url` in `context`, waits for the map to be idle, and sums what was loaded. */
export async function measureFirstLoad(context, url) {
  const page = await context.newPage();
  const pending = [];
  page.on('response', (response) => {
    pending.push((async () => {
      const request = response.request();
      // A stream never ends: it is not first-load weight (and its bytes are updates).
      if (request.url().includes('/api/stream')) return null;
      // MapLibre's worker comes from a blob: URL built from the script already counted.
      if (!/^https?:/.test(request.url())) return null;
      let body = Buffer.alloc(0);
      try {
        body = await response.body();
      } catch {
        return null;
      }
      const sizes = await request.sizes().catch(() => null);
      return {
        url: request.url(),
        status: response.status(),
        raw: body.length,
        gzip: gzipSync(body, { level: 6 }).length,
        wire: sizes ? sizes.responseBodySize : null,
      };
    })());
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__vigie && window.__vigie.ready);
  await page.evaluate(() => window.__vigie.ready);
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.__vigie.map;
    if (!map) return resolve();
    if (map.loaded() && !map.isMoving()) return resolve();
    map.once('idle', resolve);
  }));
  const files = (await Promise.all(pending)).filter(Boolean);
  await page.close();
  const total = (field) => files.reduce((sum, file) => sum + (file[field] ?? 0), 0);
  return { files, raw: total('raw'), gzip: total('gzip'), wire: total('wire') };
}

export function formatWeight(weight) {
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  const lines = weight.files
    .sort((a, b) => b.gzip - a.gzip)
    .map((file) => `${kb(file.gzip).padStart(10)} gzip ${kb(file.raw).padStart(10)} raw ${kb(file.wire ?? 0).padStart(10)} sent  ${new URL(file.url).pathname}${new URL(file.url).search}`);
  lines.push(`${kb(weight.gzip).padStart(10)} gzip ${kb(weight.raw).padStart(10)} raw ${kb(weight.wire).padStart(10)} sent  TOTAL (${weight.files.length} responses; budget ${kb(BUDGET_GZIP_BYTES)} gzip)`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv[2] || 'http://127.0.0.1:8080/';
  const { context, close } = await launchBrowser();
  try {
    const weight = await measureFirstLoad(context, url);
    console.log(process.argv.includes('--json') ? JSON.stringify(weight, null, 2) : formatWeight(weight));
    process.exitCode = weight.gzip <= BUDGET_GZIP_BYTES ? 0 : 1;
  } finally {
    await close();
  }
}
