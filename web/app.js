// The analyst's map: wiring of the data, the map, the panels and the live stream.
//
// First load (public): this module and its imports, MapLibre's script and style, the basemap
// layers, communes, corridors, open warnings and hotspots. With a key: the events of the
// last 12 months and, for analysts, the reports waiting for review. After that, only what
// the live stream announces is fetched.

import { el, replace, foldForSearch } from './dom.js';
import { t, setLanguage, currentLanguage, levelLabel, formatBamakoTime, formatDay, formatNumber } from './i18n.js';
import { getJson, postJson, allFeatures, storedKey, storeKey, roleOf, LiveClient, ApiError } from './api.js';
import { weeklyChart, thresholdLabel } from './chart.js';
import {
  createMap, setColourMode, setVisible, addPlaceLabels, keepClusterLabels,
  renderedEventCount, bounds, LEVEL_COLOURS, COUNT_STEPS, COUNT_COLOURS,
} from './map.js';
import { showTables } from './table.js';

const LEVEL_RANK = { vigilance: 1, alerte: 2, urgence: 3 };
const DAY = 86_400_000;
const SOURCES = ['acled', 'ucdp', 'community'];
// Coarser than the API's default: a whole-country view needs no more, and it keeps the first
// load within its budget. A commune's panel links to the full geometry.
const ZONE_TOLERANCE = 0.01;

const state = {
  key: storedKey(),
  role: null,
  colourBy: 'warning',
  communes: [],
  warnings: [],
  hotspots: [],
  events: [],
  reports: [],
  eventTypes: new Set(),
  hiddenTypes: new Set(),
  sources: new Set(SOURCES),
  showUnverified: true,
  sort: 'level',
  // Days since the epoch (UTC), both included.
  range: null,
  today: utcDay(new Date()),
  selected: null,
  lastUpdate: null,
  liveState: 'connecting',
  map: null,
  live: null,
  knownWarnings: new Set(),
  mode: 'map',
};

function utcDay(date) {
  return Math.floor(date.getTime() / DAY);
}
function dayText(day) {
  return new Date(day * DAY).toISOString().slice(0, 10);
}
function parseDay(text) {
  const time = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(time) ? null : Math.floor(time / DAY);
}

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// Start-up

async function start() {
  document.documentElement.lang = currentLanguage();
  state.range = { from: state.today - 29, to: state.today };
  window.__vigie = { state, ready: null, map: null, renderedEventCount: () => (state.map ? renderedEventCount(state.map) : 0) };
  renderStatic();
  const webgl = hasWebGL2();
  const mapLibrary = webgl ? await loadMapLibre() : false;
  if (!webgl || !mapLibrary) {
    state.mode = 'table';
    $('map').hidden = true;
    $('table-view').hidden = false;
  }
  window.__vigie.mode = state.mode;
  window.__vigie.ready = (async () => {
    if (state.key) await adoptKey(state.key, { quiet: true });
    await loadPublicData();
    if (state.mode === 'map') {
      await createTheMap();
    } else {
      renderTables(webgl ? 'no_maplibre' : 'no_webgl');
    }
    renderAll();
    startLive();
  })();
  await window.__vigie.ready;
}

function hasWebGL2() {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2'));
  } catch {
    return false;
  }
}

function loadMapLibre() {
  return new Promise((resolve) => {
    const stylesheet = el('link', { rel: 'stylesheet', href: '/web/node_modules/maplibre-gl/dist/maplibre-gl.css' });
    const script = el('script', { src: '/web/node_modules/maplibre-gl/dist/maplibre-gl.js' });
    script.addEventListener('load', () => resolve(typeof window.maplibregl === 'object'));
    script.addEventListener('error', () => resolve(false));
    document.head.append(stylesheet, script);
  });
}

async function createTheMap() {
  const map = createMap($('map'), t('attribution'), {
    closePopup: t('map_close_popup'),
    zoomIn: t('map_zoom_in'),
    zoomOut: t('map_zoom_out'),
    attribution: t('map_attribution'),
  });
  state.map = map;
  window.__vigie.map = map;
  await new Promise((resolve) => map.once('load', resolve));
  keepClusterLabels(map);
  addPlaceLabels(map).catch(() => announce(t('load_error', { what: 'places' })));
  map.on('click', onMapClick);
  for (const layer of ['communes-fill', 'events-clusters', 'events-points', 'hotspots-fill', 'corridors-fill', 'reports-points']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  pushAllToMap();
}

// ---------------------------------------------------------------------------------------------
// Data

async function loadPublicData() {
  const [communes, corridors, warnings, hotspots] = await Promise.all([
    allFeatures(`/collections/communes/items?limit=1000&tolerance=${ZONE_TOLERANCE}`),
    allFeatures(`/collections/corridors/items?limit=100&tolerance=${ZONE_TOLERANCE}`),
    allFeatures(`/collections/warnings/items?limit=1000&tolerance=${ZONE_TOLERANCE}`),
    allFeatures('/collections/hotspots/items?limit=1000'),
  ]);
  state.communes = communes;
  state.corridors = corridors;
  setWarnings(warnings, { announceNew: false });
  state.hotspots = hotspots;
  if (state.key) await loadKeyedData();
  touch();
}

async function loadKeyedData() {
  const from = dayText(state.today - 365);
  const to = dayText(state.today);
  const tasks = [allFeatures(`/collections/events/items?limit=10000&datetime=${from}/${to}`, state.key)];
  if (state.role === 'analyst') {
    tasks.push(allFeatures('/collections/reports/items?limit=1000&status=unverified', state.key).catch(() => []));
  }
  const [events, reports = []] = await Promise.all(tasks);
  state.events = events;
  state.reports = reports;
  refreshEventTypes();
}

function refreshEventTypes() {
  for (const event of state.events) state.eventTypes.add(event.properties.event_type);
}

function setWarnings(warnings, { announceNew }) {
  const fresh = warnings.filter((warning) => warning.properties.open !== false);
  if (announceNew) {
    for (const warning of fresh) {
      if (!state.knownWarnings.has(warning.properties.episode)) {
        announce(t('warning_new', { level: levelLabel(warning.properties.level), zone: warning.properties.zone_name }));
      }
    }
  }
  state.knownWarnings = new Set(fresh.map((warning) => warning.properties.episode));
  state.warnings = fresh;
}

function touch() {
  state.lastUpdate = new Date();
  renderLastUpdate();
}

/** The highest open warning level per commune P-code. */
function communeLevels() {
  const levels = new Map();
  for (const warning of state.warnings) {
    const { zone, zone_level: zoneLevel, level: warningLevel } = warning.properties;
    if (zoneLevel !== 'commune') continue;
    if ((LEVEL_RANK[warningLevel] ?? 0) > (LEVEL_RANK[levels.get(zone)] ?? 0)) levels.set(zone, warningLevel);
  }
  return levels;
}

function eventVisible(event) {
  const properties = event.properties;
  const day = parseDay(properties.event_date);
  return (
    day !== null &&
    day >= state.range.from &&
    day <= state.range.to &&
    state.sources.has(properties.source) &&
    !state.hiddenTypes.has(properties.event_type)
  );
}

function visibleEvents() {
  return state.events.filter(eventVisible);
}

function visibleReports() {
  if (!state.showUnverified) return [];
  return state.reports.filter((report) => {
    const day = parseDay(report.properties.date);
    return report.geometry && day !== null && day >= state.range.from && day <= state.range.to;
  });
}

function communeFeatures() {
  const levels = communeLevels();
  const counts = new Map();
  const useEvents = Boolean(state.key);
  if (useEvents) {
    for (const event of visibleEvents()) {
      const commune = event.properties.commune;
      if (commune) counts.set(commune, (counts.get(commune) ?? 0) + 1);
    }
  }
  return state.communes.map((commune) => ({
    ...commune,
    properties: {
      ...commune.properties,
      warning_level: levels.get(commune.properties.pcode) ?? null,
      count: useEvents ? counts.get(commune.properties.pcode) ?? 0 : commune.properties.events_30d,
    },
  }));
}

function pushAllToMap() {
  const map = state.map;
  if (!map) return;
  // The communes are set by pushEventsToMap: their counts follow the events shown.
  map.getSource('corridors').setData({ type: 'FeatureCollection', features: state.corridors ?? [] });
  map.getSource('warning-zones').setData({
    type: 'FeatureCollection',
    features: state.warnings.filter((warning) => warning.properties.zone_level !== 'commune' && warning.geometry),
  });
  map.getSource('hotspots').setData({ type: 'FeatureCollection', features: state.hotspots });
  pushEventsToMap();
}

function pushEventsToMap() {
  const map = state.map;
  if (!map) return;
  const events = visibleEvents();
  const collection = { type: 'FeatureCollection', features: events };
  map.getSource('events').setData(collection);
  map.getSource('events-raw').setData(collection);
  map.getSource('reports').setData({ type: 'FeatureCollection', features: visibleReports() });
  map.getSource('communes').setData({ type: 'FeatureCollection', features: communeFeatures() });
  const counter = $('events-shown');
  if (counter) counter.textContent = state.key ? t('events_shown', { count: formatNumber(events.length) }) : t('events_locked');
  window.__vigie.shownEvents = events.length;
}

// ---------------------------------------------------------------------------------------------
// Key

async function adoptKey(key, { quiet = false } = {}) {
  const role = await roleOf(key).catch(() => null);
  if (!role) {
    state.key = null;
    state.role = null;
    storeKey(null);
    if (!quiet) announce(t('key_refused'));
    return false;
  }
  state.key = key;
  state.role = role;
  storeKey(key);
  return true;
}

async function onKeySubmit(event) {
  event.preventDefault();
  const input = $('key-input');
  const key = input.value.trim();
  if (!key) return;
  input.value = '';
  if (await adoptKey(key)) {
    await loadKeyedData();
    touch();
    restartLive();
  }
  renderAll();
  pushAllToMap();
  if (state.mode === 'table') renderTables(hasWebGL2() ? 'no_maplibre' : 'no_webgl');
}

function forgetKey() {
  state.key = null;
  state.role = null;
  state.events = [];
  state.reports = [];
  storeKey(null);
  restartLive();
  renderAll();
  pushAllToMap();
}

// ---------------------------------------------------------------------------------------------
// Live updates

function startLive() {
  state.live = new LiveClient({
    key: state.key,
    onState: (liveState) => {
      state.liveState = liveState;
      renderLiveState();
      // Connected, or a poll answered: what the page shows is current as of now.
      if (liveState === 'open' || liveState === 'polling') touch();
    },
    onMessage: (kind, message) => {
      onLiveMessage(kind, message).catch(() => setLiveOffline());
    },
  });
  state.live.start();
}

function restartLive() {
  state.live?.stop();
  startLive();
}

function setLiveOffline() {
  state.liveState = 'offline';
  renderLiveState();
}

async function onLiveMessage(kind, message) {
  const data = message.data ?? {};
  if (kind === 'warning') {
    const warnings = await allFeatures(`/collections/warnings/items?limit=1000&tolerance=${ZONE_TOLERANCE}`);
    setWarnings(warnings, { announceNew: true });
    renderWarnings();
    pushAllToMap();
  } else if (kind === 'hotspot') {
    state.hotspots = await allFeatures('/collections/hotspots/items?limit=1000');
    pushAllToMap();
  } else if (kind === 'event' && state.key) {
    await addEvents(data);
  } else if (kind === 'report' && state.key) {
    await addReport(data);
  } else if (kind === 'resync') {
    await loadPublicData();
    renderAll();
    pushAllToMap();
  }
  if (state.mode === 'table') renderTables(hasWebGL2() ? 'no_maplibre' : 'no_webgl');
  touch();
}

/** The events of an import batch (id ranges), fetched one by one unless there are many. */
async function addEvents(data) {
  const ids = [];
  for (const [first, last] of data.ids ?? []) {
    for (let id = first; id <= last && ids.length <= 200; id += 1) ids.push(id);
  }
  if (data.truncated || ids.length > 200) {
    await loadKeyedData();
  } else {
    const fetched = await Promise.all(ids.map((id) => getJson(`/collections/events/items/${id}`, state.key).catch(() => null)));
    const byId = new Map(state.events.map((event) => [event.id, event]));
    for (const event of fetched) if (event) byId.set(event.id, event);
    state.events = [...byId.values()];
    refreshEventTypes();
  }
  renderFilters();
  pushEventsToMap();
}

async function addReport(data) {
  if (state.role === 'analyst' && data.report !== undefined && data.status === 'unverified') {
    const report = await getJson(`/collections/reports/items/${data.report}`, state.key).catch(() => null);
    if (report && !state.reports.some((known) => known.id === report.id)) state.reports.push(report);
    renderQueue();
  }
  if (data.event !== null && data.event !== undefined && data.status === 'verified') {
    await addEvents({ ids: [[data.event, data.event]] });
  }
  pushEventsToMap();
}

// ---------------------------------------------------------------------------------------------
// Map interaction

function onMapClick(event) {
  const map = state.map;
  const pick = (layers) => map.queryRenderedFeatures(event.point, { layers })[0];
  const cluster = pick(['events-clusters']);
  if (cluster) return clusterPopup(cluster, event.lngLat);
  const point = pick(['events-points']);
  if (point) return popup(event.lngLat, [t('popup_event', {
    date: formatDay(point.properties.event_date),
    type: point.properties.event_type,
    source: point.properties.source,
    fatalities: point.properties.fatalities,
  })]);
  const report = pick(['reports-points']);
  if (report) return popup(event.lngLat, [t('popup_report', { type: report.properties.event_type ?? t('unknown'), date: formatDay(report.properties.date) })]);
  const hotspot = pick(['hotspots-fill']);
  if (hotspot) return popup(event.lngLat, [t('popup_hotspot', {
    events: hotspot.properties.events,
    fatalities: hotspot.properties.fatalities,
    first: formatDay(hotspot.properties.first_date),
    last: formatDay(hotspot.properties.last_date),
  })]);
  const commune = pick(['communes-fill']);
  if (commune) return communePopup(commune.properties.pcode, event.lngLat);
  const corridor = pick(['corridors-fill']);
  if (corridor) return popup(event.lngLat, [t('popup_corridor', {
    name: corridor.properties.name,
    width: corridor.properties.width_km,
    start: corridor.properties.season_start,
    end: corridor.properties.season_end,
  })]);
  return undefined;
}

let openPopup = null;
function popup(lngLat, lines, extra = null) {
  openPopup?.remove();
  const content = el('div', { class: 'popup' }, lines.map((line) => (line instanceof Node ? line : el('p', {}, line))), extra);
  // setDOMContent: the popup holds text nodes, never HTML parsed from record text.
  openPopup = new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(lngLat).setDOMContent(content).addTo(state.map);
  return openPopup;
}

async function clusterPopup(cluster, lngLat) {
  popup(lngLat, [t('popup_cluster', { count: cluster.properties.point_count, fatalities: cluster.properties.fatalities })]);
  const zoom = await state.map.getSource('events').getClusterExpansionZoom(cluster.properties.cluster_id);
  state.map.easeTo({ center: cluster.geometry.coordinates, zoom });
}

function communePopup(pcode, lngLat) {
  const commune = state.communes.find((candidate) => candidate.properties.pcode === pcode);
  if (!commune) return;
  const properties = commune.properties;
  const lines = [
    el('p', {}, el('strong', {}, properties.name)),
    properties.cercle_name ? t('commune_of', { cercle: properties.cercle_name }) : null,
    t('events_30d', { events: properties.events_30d, fatalities: properties.fatalities_30d }),
  ].filter(Boolean);
  for (const warning of state.warnings.filter((candidate) => candidate.properties.zone === pcode)) {
    lines.push(el('p', { class: `warning level-${warning.properties.level}` }, t('warning_popup', {
      level: levelLabel(warning.properties.level),
      rule: warning.properties.rule,
      since: formatDay(warning.properties.since),
    })));
  }
  popup(lngLat, lines, el('button', { type: 'button', onclick: () => selectCommune(pcode) }, t('open_panel')));
}

function zoomToGeometry(geometry) {
  const box = bounds(geometry);
  if (box && state.map) state.map.fitBounds(box, { padding: 40, maxZoom: 10, duration: 500 });
}

async function selectCommune(pcode, { zoom = false } = {}) {
  const commune = state.communes.find((candidate) => candidate.properties.pcode === pcode);
  if (!commune) return;
  state.selected = pcode;
  if (zoom) zoomToGeometry(commune.geometry);
  const panel = $('commune-panel');
  panel.hidden = false;
  replace(panel, el('h2', {}, `${t('commune')} : ${commune.properties.name}`), el('p', { role: 'status' }, '…'));
  try {
    const weekly = await getJson(`/api/zones/${encodeURIComponent(pcode)}/weekly?weeks=52`);
    if (state.selected !== pcode) return;
    state.weekly = weekly;
    renderCommunePanel(commune, weekly);
  } catch (error) {
    replace(panel, el('h2', {}, commune.properties.name), el('p', {}, t('load_error', { what: `weekly ${error.status ?? ''}` })));
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function announce(text) {
  // A new text node per message: screen readers announce additions to a polite live region.
  const announcer = $('announcer');
  announcer.append(el('p', {}, text));
  while (announcer.childNodes.length > 5) announcer.firstChild.remove();
}

function renderAll() {
  renderStatic();
  renderControls();
  renderWarnings();
  renderQueue();
  if (state.selected && state.weekly) {
    const commune = state.communes.find((candidate) => candidate.properties.pcode === state.selected);
    if (commune) renderCommunePanel(commune, state.weekly);
  }
}

function renderStatic() {
  document.title = t('title');
  $('title').textContent = t('title');
  const button = $('language');
  button.textContent = t('language_switch');
  button.setAttribute('aria-label', t('language_switch_label'));
  button.onclick = () => {
    setLanguage(currentLanguage() === 'fr' ? 'en' : 'fr');
    renderAll();
    pushEventsToMap();
    if (state.mode === 'table') renderTables(hasWebGL2() ? 'no_maplibre' : 'no_webgl');
  };
  renderLiveState();
  renderLastUpdate();
}

function renderLiveState() {
  const element = $('live-state');
  element.dataset.state = state.liveState;
  element.textContent = t(`live_${state.liveState}`);
}

function renderLastUpdate() {
  $('last-update').textContent = state.lastUpdate
    ? t('last_update', { time: formatBamakoTime(state.lastUpdate) })
    : t('last_update_never');
}

function renderControls() {
  const controls = $('controls');
  const sliderMax = 365;
  const width = state.range.to - state.range.from;
  const slider = el('input', {
    id: 'time-slider',
    type: 'range',
    min: 0,
    max: sliderMax,
    step: 1,
    value: sliderMax - (state.today - state.range.to),
    'aria-label': t('time_slider'),
    oninput: (event) => {
      const to = state.today - (sliderMax - Number(event.target.value));
      state.range = { from: Math.max(state.today - 365, to - width), to };
      $('time-from').value = dayText(state.range.from);
      $('time-to').value = dayText(state.range.to);
      $('time-window').textContent = t('time_window', { from: formatDay(dayText(state.range.from)), to: formatDay(dayText(state.range.to)) });
      pushEventsToMap();
    },
  });
  const dateInput = (id, day, onchange) => el('input', {
    id, type: 'date', value: dayText(day), min: dayText(state.today - 365), max: dayText(state.today), onchange,
  });
  const onDates = () => {
    const from = parseDay($('time-from').value);
    const to = parseDay($('time-to').value);
    if (from === null || to === null || from > to) return;
    state.range = { from, to };
    renderControls();
    pushEventsToMap();
  };
  const search = el('input', {
    id: 'commune-search', type: 'search', placeholder: t('search_placeholder'), 'aria-label': t('search'), autocomplete: 'off',
    oninput: (event) => renderSearchResults(event.target.value),
  });
  replace(
    controls,
    el('h2', {}, t('search')),
    search,
    el('ul', { id: 'search-results', class: 'search-results', 'aria-live': 'polite' }),
    el('h2', {}, t('key')),
    keyForm(),
    el('h2', {}, t('time')),
    el('label', {}, t('time_from'), ' ', dateInput('time-from', state.range.from, onDates)),
    el('label', {}, t('time_to'), ' ', dateInput('time-to', state.range.to, onDates)),
    el('label', { for: 'time-slider' }, t('time_slider')),
    slider,
    el('p', { id: 'time-window' }, t('time_window', { from: formatDay(dayText(state.range.from)), to: formatDay(dayText(state.range.to)) })),
    el('p', { id: 'events-shown', role: 'status' }, state.key ? t('events_shown', { count: formatNumber(visibleEvents().length) }) : t('events_locked')),
    el('div', { id: 'filters' }),
    el('h2', {}, t('layers')),
    el('fieldset', {},
      el('legend', {}, t('colour_by')),
      ...['warning', 'count'].map((mode) => el('label', {},
        el('input', {
          type: 'radio', name: 'colour-by', value: mode, checked: state.colourBy === mode,
          onchange: () => { state.colourBy = mode; if (state.map) setColourMode(state.map, mode); renderLegend(); },
        }), ' ', t(`colour_by_${mode}`)))),
    layerToggle('layer_corridors', ['corridors-fill', 'corridors-line'], true),
    layerToggle('layer_hotspots', ['hotspots-fill', 'hotspots-line'], true),
    layerToggle('layer_events', ['events-clusters', 'events-points'], true),
    layerToggle('layer_heatmap', ['events-heat'], false),
    el('h2', {}, t('legend')),
    el('div', { id: 'legend' }),
  );
  renderFilters();
  renderLegend();
}

const layerVisibility = {};
function layerToggle(key, layers, initial) {
  if (!(key in layerVisibility)) layerVisibility[key] = initial;
  return el('label', {}, el('input', {
    type: 'checkbox',
    checked: layerVisibility[key],
    'data-layer': key,
    onchange: (event) => {
      layerVisibility[key] = event.target.checked;
      if (state.map) setVisible(state.map, layers, event.target.checked);
    },
  }), ' ', t(key));
}

function renderFilters() {
  const filters = $('filters');
  if (!filters) return;
  if (!state.key) {
    replace(filters);
    return;
  }
  const types = [...state.eventTypes].sort();
  replace(
    filters,
    el('fieldset', {}, el('legend', {}, t('event_types')),
      ...types.map((type) => el('label', {}, el('input', {
        type: 'checkbox', checked: !state.hiddenTypes.has(type), 'data-event-type': type,
        onchange: (event) => {
          if (event.target.checked) state.hiddenTypes.delete(type);
          else state.hiddenTypes.add(type);
          pushEventsToMap();
        },
      }), ' ', type))),
    el('fieldset', {}, el('legend', {}, t('sources')),
      ...SOURCES.map((source) => el('label', {}, el('input', {
        type: 'checkbox', checked: state.sources.has(source), 'data-source': source,
        onchange: (event) => {
          if (event.target.checked) state.sources.add(source);
          else state.sources.delete(source);
          pushEventsToMap();
        },
      }), ' ', t(`source_${source}`))),
      state.role === 'analyst'
        ? el('label', {}, el('input', {
          type: 'checkbox', checked: state.showUnverified, 'data-unverified': 'true',
          onchange: (event) => { state.showUnverified = event.target.checked; pushEventsToMap(); },
        }), ' ', t('show_unverified'))
        : null),
  );
}

function renderLegend() {
  const legend = $('legend');
  if (!legend) return;
  const row = (swatch, label) => el('div', { class: 'legend-row' }, swatch, label);
  const swatch = (colour, extra = '') => el('span', { class: `swatch ${extra}`, style: `background:${colour}` });
  const rows = [];
  if (state.colourBy === 'warning') {
    for (const level of ['urgence', 'alerte', 'vigilance']) rows.push(row(swatch(LEVEL_COLOURS[level]), levelLabel(level)));
    rows.push(row(swatch('#ffffff'), t('legend_none')));
  } else {
    COUNT_STEPS.forEach((step, index) => {
      const next = COUNT_STEPS[index + 1];
      rows.push(row(swatch(COUNT_COLOURS[index]), next ? `${step}–${next - 1}` : `≥ ${step}`));
    });
    rows.push(el('p', {}, t('legend_counts')));
  }
  rows.push(row(el('span', { class: 'swatch dashed', style: 'border-color:#7c3aed' }), t('legend_corridor')));
  rows.push(row(swatch('rgba(219,39,119,0.3)'), t('legend_hotspot')));
  rows.push(row(swatch('#1e3a8a', 'round'), t('legend_cluster')));
  replace(legend, ...rows);
}

function keyForm() {
  if (state.key) {
    return el('div', {},
      el('p', { id: 'key-state' }, t('key_active', { role: t(`role_${state.role}`) })),
      el('button', { type: 'button', onclick: forgetKey }, t('key_forget')));
  }
  return el('form', { id: 'key-form', onsubmit: onKeySubmit },
    el('label', { for: 'key-input' }, t('key_label')),
    el('input', { id: 'key-input', type: 'password', autocomplete: 'off' }),
    el('button', { type: 'submit' }, t('key_submit')),
    el('p', { id: 'key-state' }, t('key_none')));
}

function renderSearchResults(query) {
  const list = $('search-results');
  const folded = foldForSearch(query);
  if (!folded) {
    replace(list);
    return;
  }
  const matches = state.communes
    .filter((commune) => foldForSearch(commune.properties.name).includes(folded))
    .sort((a, b) => {
      const aStarts = foldForSearch(a.properties.name).startsWith(folded) ? 0 : 1;
      const bStarts = foldForSearch(b.properties.name).startsWith(folded) ? 0 : 1;
      return aStarts - bStarts || a.properties.name.localeCompare(b.properties.name);
    })
    .slice(0, 10);
  if (!matches.length) {
    replace(list, el('li', {}, t('search_none')));
    return;
  }
  replace(list, ...matches.map((commune) => el('li', {}, el('button', {
    type: 'button',
    'data-pcode': commune.properties.pcode,
    onclick: () => selectCommune(commune.properties.pcode, { zoom: true }),
  }, commune.properties.cercle_name ? `${commune.properties.name} (${commune.properties.cercle_name})` : commune.properties.name))));
}

function sortedWarnings() {
  const warnings = [...state.warnings];
  const byLevel = (a, b) => (LEVEL_RANK[b.properties.level] ?? 0) - (LEVEL_RANK[a.properties.level] ?? 0);
  const bySince = (a, b) => b.properties.since.localeCompare(a.properties.since);
  const byZone = (a, b) => a.properties.zone_name.localeCompare(b.properties.zone_name);
  const order = { level: [byLevel, bySince, byZone], since: [bySince, byLevel, byZone], zone: [byZone, byLevel, bySince] }[state.sort];
  return warnings.sort((a, b) => order.reduce((result, compare) => result || compare(a, b), 0));
}

function renderWarnings() {
  const panel = $('warnings-panel');
  const sortSelect = el('select', {
    id: 'warnings-sort',
    onchange: (event) => { state.sort = event.target.value; renderWarnings(); $('warnings-sort').focus(); },
  }, ...['level', 'since', 'zone'].map((key) => el('option', { value: key, selected: state.sort === key }, t(`sort_${key}`))));
  const warnings = sortedWarnings();
  const list = el('ul', { class: 'warnings-list', id: 'warnings-list', 'aria-label': t('warnings') },
    ...warnings.map((warning, index) => {
      const properties = warning.properties;
      return el('li', {}, el('button', {
        type: 'button',
        class: `level-${properties.level}`,
        'data-episode': properties.episode,
        'data-zone': properties.zone,
        'data-zone-name': properties.zone_name,
        onclick: () => selectWarning(warning),
        onkeydown: (event) => moveFocus(event, index),
      }, t('warning_item', {
        level: levelLabel(properties.level),
        zone: properties.zone_name,
        zone_level: t(`zone_level_${properties.zone_level}`),
        rule: properties.rule,
        since: formatDay(properties.since),
      })));
    }));
  replace(panel,
    el('h2', {}, `${t('warnings')} (${warnings.length})`),
    el('label', {}, t('sort_by'), ' ', sortSelect),
    warnings.length ? list : el('p', {}, t('warnings_empty')));
}

function moveFocus(event, index) {
  const buttons = [...document.querySelectorAll('#warnings-list button')];
  let next = null;
  if (event.key === 'ArrowDown') next = buttons[Math.min(buttons.length - 1, index + 1)];
  if (event.key === 'ArrowUp') next = buttons[Math.max(0, index - 1)];
  if (event.key === 'Home') next = buttons[0];
  if (event.key === 'End') next = buttons[buttons.length - 1];
  if (next) {
    event.preventDefault();
    next.focus();
  }
}

function selectWarning(warning) {
  const properties = warning.properties;
  if (warning.geometry) zoomToGeometry(warning.geometry);
  if (properties.zone_level === 'commune') selectCommune(properties.zone);
}

function renderCommunePanel(commune, weekly) {
  const panel = $('commune-panel');
  const pcode = commune.properties.pcode;
  const thresholds = weekly.thresholds ?? [];
  const episodes = weekly.episodes ?? [];
  const range = `${dayText(state.range.from)}/${dayText(state.range.to)}`;
  const links = [
    el('li', {}, el('a', { href: `/collections/communes/items/${encodeURIComponent(pcode)}?f=json` }, t('download_zone'))),
    el('li', {}, el('a', { href: `/collections/warnings/items?commune=${encodeURIComponent(pcode)}&datetime=${range}&f=json` }, t('download_warnings_geojson'))),
    el('li', {}, el('a', { href: `/collections/warnings/items?commune=${encodeURIComponent(pcode)}&datetime=${range}&f=csv` }, t('download_warnings_csv'))),
  ];
  if (state.key) {
    // Keyed downloads: a link cannot send the Authorization header, so the page fetches.
    for (const [format, label] of [['json', 'download_events_geojson'], ['csv', 'download_events_csv']]) {
      links.push(el('li', {}, el('button', {
        type: 'button',
        onclick: () => downloadWithKey(`/collections/events/items?commune=${encodeURIComponent(pcode)}&datetime=${range}&limit=10000&f=${format}`, `${pcode}-events.${format === 'csv' ? 'csv' : 'geojson'}`),
      }, t(label))));
    }
  }
  replace(panel,
    el('h2', {}, `${t('commune')} : ${commune.properties.name}`),
    commune.properties.cercle_name ? el('p', {}, t('commune_of', { cercle: commune.properties.cercle_name })) : null,
    el('button', { type: 'button', onclick: () => { panel.hidden = true; state.selected = null; } }, t('close')),
    weeklyChart(weekly),
    el('ul', { class: 'thresholds' }, ...thresholds.map((rule) => el('li', {}, thresholdLabel(rule)))),
    el('h3', {}, t('episodes')),
    episodes.length
      ? el('ul', { class: 'episodes' }, ...episodes.map((episode) => el('li', { 'data-status': episode.status }, t('episode_item', {
        rule: episode.rule,
        level: levelLabel(episode.level),
        opened: formatDay(episode.opened),
        closed: episode.closed ? t('episode_closed', { closed: formatDay(episode.closed) }) : t('episode_open'),
      }))))
      : el('p', {}, t('episodes_none')),
    el('h3', {}, t('downloads')),
    el('ul', {}, ...links));
}

async function downloadWithKey(url, name) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${state.key}` } });
  if (!response.ok) {
    announce(t('load_error', { what: response.status }));
    return;
  }
  const blob = await response.blob();
  const link = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function renderQueue() {
  const panel = $('queue-panel');
  if (state.role !== 'analyst') {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const reports = state.reports.filter((report) => report.properties.status === 'unverified');
  const communeName = (pcode) => state.communes.find((commune) => commune.properties.pcode === pcode)?.properties.name ?? pcode ?? t('unknown');
  replace(panel,
    el('h2', {}, `${t('queue')} (${reports.length})`),
    reports.length
      ? el('ul', { class: 'queue-list', id: 'queue-list' }, ...reports.map((report) => {
        const reasonId = `reason-${report.id}`;
        const properties = report.properties;
        return el('li', { 'data-report': report.id },
          el('p', {}, t('queue_item', {
            date: formatDay(properties.date),
            type: properties.event_type ?? t('unknown'),
            commune: communeName(properties.commune),
            fatalities: properties.fatalities ?? '?',
          })),
          properties.text ? el('p', { class: 'report-text' }, properties.text) : null,
          el('label', { for: reasonId }, t('queue_reason')),
          el('input', { id: reasonId, type: 'text' }),
          el('button', { type: 'button', 'data-decision': 'verified', onclick: () => review(report, 'verified') }, t('verify')),
          ' ',
          el('button', { type: 'button', 'data-decision': 'rejected', onclick: () => review(report, 'rejected') }, t('reject')));
      }))
      : el('p', {}, t('queue_empty')));
}

async function review(report, decision) {
  const reason = document.getElementById(`reason-${report.id}`)?.value.trim() || decision;
  const answer = await postJson(`/api/reports/${report.id}/review`, { decision, reason }, state.key);
  if (answer.ok) {
    state.reports = state.reports.filter((known) => known.id !== report.id);
    announce(t('review_done', { id: report.id, decision: t(`decision_${decision}`) }));
    if (decision === 'verified') await loadKeyedData();
  } else if (answer.status === 403) {
    // A researcher's key reads reports but may not decide: no queue for it.
    state.role = 'researcher';
    announce(t('review_forbidden'));
    renderControls();
  } else if (answer.status === 409) {
    state.reports = state.reports.filter((known) => known.id !== report.id);
    announce(t('review_conflict', { id: report.id }));
  } else {
    announce(t('review_failed', { status: answer.status }));
  }
  renderQueue();
  pushEventsToMap();
}

function renderTables(reason) {
  showTables($('table-view'), { reason, state, levelLabel, selectCommune });
}

start().catch((error) => {
  announce(t('load_error', { what: error instanceof ApiError ? error.message : String(error) }));
  // eslint-disable-next-line no-console
  console.error(error);
});

