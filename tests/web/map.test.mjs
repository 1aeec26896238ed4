// The web map in a real browser against a real server (started by tests/web/run.sh, which
// passes its address and an analyst key in the environment). The tests run in order on one
// page: the public view first, then the analyst's.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser } from '../../web/scripts/browser.mjs';
import { measureFirstLoad, formatWeight, BUDGET_GZIP_BYTES } from '../../web/scripts/weight.mjs';

const BASE = process.env.VIGIE_WEB_BASE;
const KEY = process.env.VIGIE_WEB_ANALYST_KEY;
const ARTIFACTS = process.env.VIGIE_WEB_ARTIFACTS || 'target/web-artifacts';
if (!BASE || !KEY) throw new Error('run through tests/web/run.sh: VIGIE_WEB_BASE and VIGIE_WEB_ANALYST_KEY are needed');

async function api(pathAndQuery, { key = null, method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body) headers['Content-Type'] = 'application/json';
  const response = await fetch(new URL(pathAndQuery, BASE), { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function allFeatures(pathAndQuery, key) {
  const features = [];
  let next = new URL(pathAndQuery, BASE).href;
  while (next) {
    const { status, body } = await api(next, { key });
    assert.equal(status, 200, `${next} answered ${status}`);
    features.push(...body.features);
    next = body.links?.find((link) => link.rel === 'next')?.href ?? null;
  }
  return features;
}

/** Waits until the map has drawn everything it was given. */
function mapIdle(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const map = window.__vigie.map;
    map.triggerRepaint();
    map.once('idle', resolve);
  }));
}

describe('the analyst web map', () => {
  let browser;
  let page;
  const consoleErrors = [];
  // Each test answers for the errors logged during it.
  const assertNoConsoleErrors = () => assert.deepEqual(consoleErrors.splice(0), []);

  before(async () => {
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(BASE);
    await page.waitForFunction(() => window.__vigie && window.__vigie.ready);
    await page.evaluate(() => window.__vigie.ready);
  });

  after(async () => {
    await browser?.close();
  });

  test('loads in French, becomes idle with every layer, and saves a screenshot', async () => {
    assert.equal(await page.evaluate(() => window.__vigie.mode), 'map');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await mapIdle(page);
    const layers = await page.evaluate(() => window.__vigie.map.getStyle().layers.map((layer) => layer.id));
    for (const layer of [
      'countries-fill', 'rivers-line', 'lakes-fill', 'borders-line', 'communes-fill', 'communes-line',
      'warning-zones-line', 'corridors-fill', 'corridors-line', 'hotspots-fill', 'events-heat',
      'events-clusters', 'events-points', 'reports-points',
    ]) {
      assert.ok(layers.includes(layer), `layer ${layer} missing from ${layers}`);
    }
    // The map draws the communes it was given (701 in the shipped geography).
    const communes = await page.evaluate(() => window.__vigie.map.querySourceFeatures('communes').length);
    assert.ok(communes >= 701, `only ${communes} commune pieces in the source`);
    // The warnings panel lists the open warnings the API serves.
    const warnings = await allFeatures('/collections/warnings/items?limit=1000');
    assert.ok(warnings.length > 0, 'the demo store has open warnings');
    assert.equal(await page.locator('#warnings-list li').count(), warnings.length);
    assert.match(await page.textContent('#live-state'), /En direct|Connexion/);
    await page.waitForFunction(() => document.getElementById('live-state').dataset.state === 'open', null, { timeout: 10_000 });
    assert.match(await page.textContent('#last-update'), /Dernière mise à jour : .*heure de Bamako/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'map.png') });
    assertNoConsoleErrors();
  });

  test('clicking a commune with an open warning opens a popup with its French text', async () => {
    const rank = { vigilance: 1, alerte: 2, urgence: 3 };
    const warnings = (await allFeatures('/collections/warnings/items?limit=1000&zone_level=commune'))
      .filter((warning) => warning.properties.open)
      .sort((a, b) => rank[b.properties.level] - rank[a.properties.level]);
    assert.ok(warnings.length > 0, 'the demo store has an open commune warning');
    const warning = warnings[0].properties;
    // Zoom to the commune, then find a pixel where the commune is the top clickable feature.
    const pixel = await page.evaluate(async (pcode) => {
      const { map, state } = window.__vigie;
      const commune = state.communes.find((candidate) => candidate.properties.pcode === pcode);
      const xs = [];
      const ys = [];
      const visit = (coordinates) => {
        if (typeof coordinates[0] === 'number') { xs.push(coordinates[0]); ys.push(coordinates[1]); } else coordinates.forEach(visit);
      };
      visit(commune.geometry.coordinates);
      map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 60, animate: false });
      await new Promise((resolve) => { map.triggerRepaint(); map.once('idle', resolve); });
      const canvas = map.getCanvas().getBoundingClientRect();
      const above = ['events-clusters', 'events-points', 'reports-points', 'hotspots-fill'];
      for (let y = 20; y < canvas.height - 20; y += 12) {
        for (let x = 20; x < canvas.width - 20; x += 12) {
          const top = map.queryRenderedFeatures([x, y], { layers: ['communes-fill', ...above] });
          if (top.length && top.every((feature) => feature.layer.id === 'communes-fill') && top[0].properties.pcode === pcode) {
            return { x: canvas.left + x, y: canvas.top + y };
          }
        }
      }
      return null;
    }, warning.zone);
    assert.ok(pixel, `no clickable pixel found in ${warning.zone}`);
    await page.mouse.click(pixel.x, pixel.y);
    const popup = page.locator('.maplibregl-popup-content');
    await popup.waitFor({ timeout: 5000 });
    const text = await popup.textContent();
    const levelFr = { vigilance: 'Vigilance', alerte: 'Alerte', urgence: 'Urgence' }[warning.level];
    assert.ok(text.includes(warning.zone_name), `popup: ${text}`);
    assert.ok(text.includes(`Alerte ouverte : ${levelFr}, règle ${warning.rule}`), `popup: ${text}`);
    assert.match(text, /Ouvrir la fiche/);
    // Its panel lists the open episode among its episodes.
    await popup.getByRole('button', { name: 'Ouvrir la fiche' }).click();
    assert.equal(await popup.locator('.maplibregl-popup-close-button').getAttribute('aria-label'), 'Fermer la bulle');
    const panel = page.locator('#commune-panel');
    await panel.locator('ul.episodes li').first().waitFor({ timeout: 5000 });
    const weekly = await api(`/api/zones/${warning.zone}/weekly?weeks=52`);
    assert.equal(await panel.locator('ul.episodes li').count(), weekly.body.episodes.length);
    assert.ok(weekly.body.episodes.some((episode) => episode.id === warning.episode && episode.status === 'open'),
      JSON.stringify(weekly.body.episodes));
    assert.ok(await panel.locator('ul.episodes li[data-status="open"]').count() >= 1);
    assertNoConsoleErrors();
  });

  test('the commune search ignores accents and case, and opens the commune panel', async () => {
    await page.fill('#commune-search', 'segou');
    const results = page.locator('#search-results button');
    await results.first().waitFor();
    const names = await results.allTextContents();
    assert.ok(names.some((name) => name.startsWith('Ségou')), `results for "segou": ${names}`);
    await page.fill('#commune-search', 'SÉGOU');
    assert.ok((await results.allTextContents()).some((name) => name.startsWith('Ségou')));
    await page.fill('#commune-search', 'diallassagou');
    await results.first().waitFor();
    await results.first().click();
    const panel = page.locator('#commune-panel');
    await panel.locator('svg.weekly-chart').waitFor({ timeout: 5000 });
    const weekly = await api('/api/zones/ML050303/weekly?weeks=52');
    assert.equal(weekly.status, 200);
    assert.equal(await panel.locator('svg.weekly-chart rect.bar').count(), weekly.body.weeks.length);
    // Drawn: the fixed thresholds on counts of events or fatalities.
    const drawn = weekly.body.thresholds
      .filter((rule) => typeof rule.value === 'number' && ['events', 'fatalities'].includes(rule.metric)).length;
    assert.ok(drawn > 0, 'the default rules have count thresholds');
    assert.equal(await panel.locator('svg.weekly-chart line.threshold').count(), drawn);
    assert.equal(await panel.locator('ul.thresholds li').count(), weekly.body.thresholds.length);
    assert.match(await panel.textContent(), /seuil civils \(Vigilance\) : 3 événements en 28 j/);
    if (weekly.body.episodes.length) {
      assert.equal(await panel.locator('ul.episodes li').count(), weekly.body.episodes.length);
    } else {
      assert.match(await panel.textContent(), /Aucun épisode/);
    }
    assert.match(await panel.textContent(), /Commune : Diallassagou/);
    assert.equal(await panel.locator('a[href*="f=csv"]').count(), 1);
    await panel.screenshot({ path: path.join(ARTIFACTS, 'commune-panel.png') });
    assertNoConsoleErrors();
  });

  test('the warnings panel sorts and works from the keyboard', async () => {
    await page.selectOption('#warnings-sort', 'zone');
    const zones = await page.locator('#warnings-list button').evaluateAll((buttons) => buttons.map((button) => button.dataset.zoneName));
    const sorted = [...zones].sort((a, b) => a.localeCompare(b));
    assert.deepEqual(zones, sorted);
    await page.locator('#warnings-list button').first().focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => [...document.querySelectorAll('#warnings-list button')].indexOf(document.activeElement)), 1);
    const zoomBefore = await page.evaluate(() => { window.__vigie.map.jumpTo({ zoom: 4 }); return window.__vigie.map.getZoom(); });
    await page.keyboard.press('Enter');
    await page.waitForFunction((zoom) => window.__vigie.map.getZoom() > zoom + 0.5 && !window.__vigie.map.isMoving(), zoomBefore, { timeout: 5000 });
    await page.selectOption('#warnings-sort', 'level');
  });

  test('with an analyst key, moving the time slider shows the events the API gives for that range', async () => {
    await page.fill('#key-input', KEY);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#queue-panel:not([hidden])');
    await page.evaluate(() => window.__vigie.map.fitBounds([[-12.3, 10.1], [4.3, 25.1]], { animate: false }));
    const countFor = async () => {
      await mapIdle(page);
      const from = await page.inputValue('#time-from');
      const to = await page.inputValue('#time-to');
      const events = await allFeatures(`/collections/events/items?limit=10000&datetime=${from}/${to}`, KEY);
      const rendered = await page.evaluate(() => window.__vigie.renderedEventCount());
      return { from, to, expected: events.length, rendered };
    };
    const latest = await countFor();
    assert.ok(latest.expected > 0, 'events in the last 30 days');
    assert.equal(latest.rendered, latest.expected, JSON.stringify(latest));
    // Back 120 days (the slider's step is one day): the demo's data thins out with age.
    const slider = page.locator('#time-slider');
    const value = Number(await slider.inputValue());
    await slider.evaluate((element, next) => {
      element.value = String(next);
      element.dispatchEvent(new Event('input', { bubbles: true }));
    }, value - 120);
    const earlier = await countFor();
    assert.notEqual(earlier.from, latest.from);
    assert.equal(earlier.rendered, earlier.expected, JSON.stringify(earlier));
    assert.notEqual(earlier.rendered, latest.rendered, 'the count changes with the window');
    assert.match(await page.textContent('#events-shown'), new RegExp(`^${earlier.expected} événements affichés$`));
    // Back to the latest window for the live tests.
    await slider.evaluate((element, next) => {
      element.value = String(next);
      element.dispatchEvent(new Event('input', { bubbles: true }));
    }, value);
    const back = await countFor();
    assert.equal(back.rendered, latest.expected);
    assertNoConsoleErrors();
  });

  test('clusters sum their fatalities; type filters, colour modes and the heatmap switch', async () => {
    await mapIdle(page);
    // Every cluster's fatalities are the sum over its events (clusterProperties).
    const clusters = await page.evaluate(async () => {
      const { map } = window.__vigie;
      const source = map.getSource('events');
      const seen = new Map();
      for (const feature of map.queryRenderedFeatures({ layers: ['events-clusters'] })) {
        seen.set(feature.properties.cluster_id, feature.properties);
      }
      const checked = [];
      for (const [id, properties] of [...seen].slice(0, 5)) {
        const leaves = await source.getClusterLeaves(id, Infinity, 0);
        checked.push({
          count: properties.point_count,
          leaves: leaves.length,
          fatalities: properties.fatalities,
          sum: leaves.reduce((total, leaf) => total + leaf.properties.fatalities, 0),
        });
      }
      return checked;
    });
    assert.ok(clusters.length > 0, 'the map draws clusters');
    for (const cluster of clusters) {
      assert.equal(cluster.leaves, cluster.count);
      assert.equal(cluster.fatalities, cluster.sum);
    }
    // Unticking an event type removes exactly its events.
    const from = await page.inputValue('#time-from');
    const to = await page.inputValue('#time-to');
    const events = await allFeatures(`/collections/events/items?limit=10000&datetime=${from}/${to}`, KEY);
    const type = events[0].properties.event_type;
    const others = events.filter((event) => event.properties.event_type !== type).length;
    await page.locator(`input[data-event-type="${type}"]`).uncheck();
    await mapIdle(page);
    assert.equal(await page.evaluate(() => window.__vigie.renderedEventCount()), others);
    await page.locator(`input[data-event-type="${type}"]`).check();
    await mapIdle(page);
    assert.equal(await page.evaluate(() => window.__vigie.renderedEventCount()), events.length);
    // Communes by event count, then back to warning levels.
    const fill = () => page.evaluate(() => JSON.stringify(window.__vigie.map.getPaintProperty('communes-fill', 'fill-color')));
    assert.match(await fill(), /warning_level/);
    await page.locator('input[name="colour-by"][value="count"]').check();
    assert.match(await fill(), /"count"/);
    assert.match(await page.textContent('#legend'), /événements sur la période/);
    await page.locator('input[name="colour-by"][value="warning"]').check();
    assert.match(await fill(), /warning_level/);
    // The heatmap is off until asked for.
    const heat = () => page.evaluate(() => window.__vigie.map.getLayoutProperty('events-heat', 'visibility'));
    assert.equal(await heat(), 'none');
    await page.locator('input[data-layer="layer_heatmap"]').check();
    assert.equal(await heat(), 'visible');
    await page.locator('input[data-layer="layer_heatmap"]').uncheck();
    assertNoConsoleErrors();
  });

  test('a report sent through the API appears on the map and in the queue within 2 seconds', async () => {
    await page.waitForFunction(() => document.getElementById('live-state').dataset.state === 'open', null, { timeout: 10_000 });
    const sent = await api('/api/reports', {
      method: 'POST',
      body: { commune: 'ML050301', event_type: 'attaque', fatalities: 2, text: 'attaque <b>au</b> marché', client_id: `web-test-${Date.now()}` },
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const id = sent.body.id;
    const started = Date.now();
    await page.waitForSelector(`#queue-list li[data-report="${id}"]`, { timeout: 2000 });
    await page.waitForFunction((reportId) => window.__vigie.map.querySourceFeatures('reports').some((feature) => String(feature.id ?? feature.properties.id) === String(reportId))
      || window.__vigie.state.reports.some((report) => String(report.id) === String(reportId)), id, { timeout: Math.max(1, 2000 - (Date.now() - started)) });
    // On the map: the reports layer draws it at its commune.
    await mapIdle(page);
    const drawn = await page.evaluate(() => window.__vigie.map.queryRenderedFeatures({ layers: ['reports-points'] }).length);
    assert.ok(drawn >= 1, 'the report is drawn');
    const item = await page.textContent(`#queue-list li[data-report="${id}"]`);
    assert.match(item, /Bankass, 2 victimes/);
    assertNoConsoleErrors();
  });

  test('an event imported while the page is open appears on the map and in the count within 2 seconds', async () => {
    const before = await page.evaluate(() => window.__vigie.shownEvents);
    const work = process.env.VIGIE_WEB_WORK;
    const demoFile = path.join(work, 'demo', 'SYNTHETIC-acled-events.csv');
    const [header, firstRow] = readFileSync(demoFile, 'utf8').split('\n');
    const columns = header.split(',');
    const cells = firstRow.split(',');
    // The first row is a plain one (no quoted commas in the synthetic generator's first
    // columns we change): a new id, today's date.
    const today = new Date().toISOString().slice(0, 10);
    const idColumn = columns.indexOf('event_id_cnty');
    const dateColumn = columns.indexOf('event_date');
    assert.ok(idColumn >= 0 && dateColumn >= 0, header);
    cells[idColumn] = `MLIWEB${Date.now() % 1_000_000}`;
    cells[dateColumn] = today;
    const file = path.join(work, 'live-event.csv');
    writeFileSync(file, `${header}\n${cells.join(',')}\n`);
    const started = Date.now();
    execFileSync(process.env.VIGIE_WEB_VIGIE, ['--database', process.env.VIGIE_WEB_DATABASE, 'ingest', 'acled', file], { stdio: 'pipe' });
    await page.waitForFunction((count) => window.__vigie.shownEvents === count + 1, before, { timeout: 2000 });
    const elapsed = Date.now() - started;
    await mapIdle(page);
    assert.equal(await page.evaluate(() => window.__vigie.renderedEventCount()), before + 1, `after ${elapsed} ms`);
    assert.match(await page.textContent('#events-shown'), new RegExp(`^${before + 1} événements affichés$`));
  });

  test('the analyst verifies a report from the queue', async () => {
    const queue = (await allFeatures('/collections/reports/items?status=unverified&limit=1000', KEY));
    assert.ok(queue.length > 0);
    const first = page.locator('#queue-list li').first();
    const id = await first.getAttribute('data-report');
    await first.locator('input').fill('confirmé par le chef de village');
    await first.locator('button[data-decision="verified"]').click();
    await page.waitForSelector(`#queue-list li[data-report="${id}"]`, { state: 'detached', timeout: 5000 });
    const report = await api(`/collections/reports/items/${id}`, { key: KEY });
    assert.equal(report.status, 200);
    assert.equal(report.body.properties.status, 'verified');
    assert.match(await page.textContent('#announcer'), new RegExp(`Signalement ${id} : vérifié`));
    // A second decision on the same report is refused by the server.
    const again = await api(`/api/reports/${id}/review`, { key: KEY, method: 'POST', body: { decision: 'rejected', reason: 'x' } });
    assert.equal(again.status, 409);
    assertNoConsoleErrors();
  });

  test('when the stream cannot stay open, the page polls and still shows new reports', async () => {
    const polling = await browser.context.newPage();
    const errors = [];
    polling.on('pageerror', (error) => errors.push(error.message));
    polling.on('console', (message) => {
      // The refused stream requests are logged by the browser: those are the test's doing.
      if (message.type() === 'error' && !message.text().includes('ERR_FAILED')) errors.push(message.text());
    });
    // Every streaming request fails (a proxy that cuts long connections); polling passes.
    await polling.route(/\/api\/stream(?!\?poll=true)/, (route) => route.abort('failed'));
    try {
      await polling.goto(BASE);
      await polling.waitForFunction(() => window.__vigie && window.__vigie.ready);
      await polling.evaluate(() => window.__vigie.ready);
      await polling.fill('#key-input', KEY);
      await polling.click('#key-form button[type="submit"]');
      await polling.waitForFunction(() => document.getElementById('live-state').dataset.state === 'polling', null, { timeout: 15_000 });
      assert.equal(await polling.textContent('#live-state'), 'Interrogation périodique');
      const sent = await api('/api/reports', {
        method: 'POST',
        body: { commune: 'ML050303', event_type: 'attaque', fatalities: 1, client_id: `web-poll-${Date.now()}` },
      });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      // One polling period (5 s) and the fetch of the report.
      await polling.waitForSelector(`#queue-list li[data-report="${sent.body.id}"]`, { timeout: 10_000 });
      assert.deepEqual(errors, []);
    } finally {
      await polling.close();
    }
  });

  test('switches to English and back', async () => {
    await page.click('#language');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent('#warnings-panel h2'), /^Open warnings/);
    assert.match(await page.textContent('#last-update'), /Bamako time/);
    await page.click('#language');
    assert.match(await page.textContent('#warnings-panel h2'), /^Alertes en cours/);
  });

  test('the first load stays within 600 KB gzipped', async () => {
    // A browser of its own: an empty cache, as on a first visit.
    const fresh = await launchBrowser();
    let weight;
    try {
      weight = await measureFirstLoad(fresh.context, BASE);
    } finally {
      await fresh.close();
    }
    const report = formatWeight(weight);
    writeFileSync(path.join(ARTIFACTS, 'page-weight.txt'), `${report}\n`);
    console.log(report);
    assert.ok(weight.files.some((file) => file.url.includes('maplibre-gl.js')), 'MapLibre is counted');
    assert.ok(weight.files.every((file) => new URL(file.url).origin === new URL(BASE).origin), 'nothing fetched from elsewhere');
    assert.ok(weight.gzip <= BUDGET_GZIP_BYTES, `${weight.gzip} bytes gzipped`);
  });
});

describe('without WebGL', () => {
  test('the page shows the data as tables instead of a blank map', async () => {
    const browser = await launchBrowser({ webgl: false });
    try {
      const page = await browser.context.newPage();
      const errors = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
      const requested = [];
      page.on('request', (request) => requested.push(request.url()));
      await page.goto(BASE);
      await page.waitForFunction(() => window.__vigie && window.__vigie.ready);
      await page.evaluate(() => window.__vigie.ready);
      assert.equal(await page.evaluate(() => window.__vigie.mode), 'table');
      assert.ok(await page.isVisible('#table-view'));
      assert.ok(await page.isHidden('#map'));
      assert.match(await page.textContent('#table-notice'), /WebGL2 indisponible/);
      assert.equal(await page.locator('#table-communes tbody tr').count(), 701);
      assert.ok(await page.locator('#table-warnings tbody tr').count() > 0);
      // MapLibre is not even downloaded.
      assert.ok(!requested.some((url) => url.includes('maplibre-gl.js')));
      // Sorting by events puts the busiest commune first.
      await page.click('#table-communes th:nth-child(3) button');
      await page.click('#table-communes th:nth-child(3) button');
      const counts = await page.locator('#table-communes tbody tr td:nth-child(3)').allTextContents();
      const numbers = counts.map((text) => Number(text.replace(/\s/g, '')));
      assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a));
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test('without MapLibre installed, the page says how to install it and shows the tables', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      const errors = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // A server whose web/node_modules is missing answers 404 for MapLibre's files.
      await page.route(/maplibre-gl\.(js|css)$/, (route) => route.fulfill({ status: 404, body: 'not found' }));
      await page.goto(BASE);
      await page.waitForFunction(() => window.__vigie && window.__vigie.ready);
      await page.evaluate(() => window.__vigie.ready);
      assert.equal(await page.evaluate(() => window.__vigie.mode), 'table');
      assert.match(await page.textContent('#table-notice'), /npm ci --prefix web/);
      assert.equal(await page.locator('#table-communes tbody tr').count(), 701);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
