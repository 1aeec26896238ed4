// Launching Debian's Chromium for the browser tests and the weight measure: headless,
// WebGL in software (SwiftShader through ANGLE, so MapLibre renders without a GPU), nothing
// fetched in the background (no component updates, sync or first-run pages), a fresh profile.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.VIGIE_TEST_CHROMIUM || '/usr/bin/chromium';

/** A browser; `webgl: false` launches it with WebGL turned off (the table view's test). */
export async function launchBrowser({ webgl = true } = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'vigie-chromium-'));
  const args = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--no-first-run',
    '--no-default-browser-check',
    '--hide-scrollbars',
    '--mute-audio',
  ];
  if (webgl) args.push('--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist');
  else args.push('--disable-webgl', '--disable-webgl2', '--disable-3d-apis');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1400, height: 900 },
    locale: 'fr-FR',
    timezoneId: 'Africa/Bamako',
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}
