// The MapLibre map: an offline basemap from the server's /basemap layers (no tiles, no glyph
// server: no symbol layer carries text; town names and cluster counts are DOM markers), and
// the data layers. MapLibre is the global `maplibregl` from its own dist file.

import { el } from './dom.js';

const MALI_BOUNDS = [[-12.3, 10.1], [4.3, 25.1]];
export const LEVEL_COLOURS = { urgence: '#b00020', alerte: '#e06c00', vigilance: '#f2c500' };
export const COUNT_STEPS = [0, 1, 5, 20, 50];
export const COUNT_COLOURS = ['#ffffff', '#fde0c5', '#f59e60', '#c2410c', '#7c2d12'];
const EMPTY = { type: 'FeatureCollection', features: [] };

/** The basemap layers the server publishes at /basemap/{name}.geojson. */
export const BASEMAP_LAYERS = ['countries', 'lakes', 'rivers', 'borders', 'places'];

export const DATA_LAYERS = [
  'communes-fill',
  'communes-line',
  'warning-zones-line',
  'corridors-fill',
  'corridors-line',
  'hotspots-fill',
  'hotspots-line',
  'events-heat',
  'events-clusters',
  'events-points',
  'reports-points',
];

const levelColour = (property) => [
  'match',
  ['get', property],
  'urgence', LEVEL_COLOURS.urgence,
  'alerte', LEVEL_COLOURS.alerte,
  'vigilance', LEVEL_COLOURS.vigilance,
  '#ffffff',
];
const warningColour = levelColour('warning_level');
const countColour = ['step', ['get', 'count'], COUNT_COLOURS[0]];
COUNT_STEPS.slice(1).forEach((step, index) => countColour.push(step, COUNT_COLOURS[index + 1]));

function style() {
  const basemap = (name) => ({ type: 'geojson', data: `/basemap/${name}.geojson` });
  const data = (extra = {}) => ({ type: 'geojson', data: EMPTY, ...extra });
  return {
    version: 8,
    sources: {
      countries: basemap('countries'),
      lakes: basemap('lakes'),
      rivers: basemap('rivers'),
      borders: basemap('borders'),
      communes: data({ promoteId: 'pcode' }),
      'warning-zones': data(),
      corridors: data(),
      hotspots: data(),
      events: data({
        cluster: true,
        clusterRadius: 40,
        clusterMaxZoom: 11,
        // Each cluster carries the sum of its events' fatalities, shown in its popup.
        clusterProperties: { fatalities: ['+', ['get', 'fatalities']] },
      }),
      'events-raw': data(),
      reports: data(),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#dfe6ea' } },
      { id: 'countries-fill', type: 'fill', source: 'countries', paint: { 'fill-color': '#f4f1ea' } },
      { id: 'countries-line', type: 'line', source: 'countries', paint: { 'line-color': '#9aa3a8', 'line-width': 0.6 } },
      { id: 'communes-fill', type: 'fill', source: 'communes', paint: { 'fill-color': warningColour, 'fill-opacity': ['case', ['==', ['get', 'warning_level'], null], 0.15, 0.6] } },
      { id: 'communes-line', type: 'line', source: 'communes', paint: { 'line-color': '#8d99a3', 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.2, 9, 1] } },
      { id: 'lakes-fill', type: 'fill', source: 'lakes', paint: { 'fill-color': '#a9cbe0' } },
      { id: 'rivers-line', type: 'line', source: 'rivers', paint: { 'line-color': '#6ea7cf', 'line-width': 1.2 } },
      { id: 'borders-line', type: 'line', source: 'borders', paint: { 'line-color': '#55606a', 'line-width': 1.4, 'line-dasharray': [3, 2] } },
      { id: 'warning-zones-line', type: 'line', source: 'warning-zones', paint: { 'line-color': levelColour('level'), 'line-width': 2.5 } },
      { id: 'corridors-fill', type: 'fill', source: 'corridors', paint: { 'fill-color': '#7c3aed', 'fill-opacity': 0.08 } },
      // Dashed: the routes are reconstructions, not surveyed corridors.
      { id: 'corridors-line', type: 'line', source: 'corridors', paint: { 'line-color': '#7c3aed', 'line-width': 1.2, 'line-dasharray': [2, 2] } },
      { id: 'hotspots-fill', type: 'fill', source: 'hotspots', paint: { 'fill-color': '#db2777', 'fill-opacity': 0.18 } },
      { id: 'hotspots-line', type: 'line', source: 'hotspots', paint: { 'line-color': '#db2777', 'line-width': 1.5 } },
      {
        id: 'events-heat', type: 'heatmap', source: 'events-raw', layout: { visibility: 'none' },
        paint: { 'heatmap-weight': ['+', 1, ['min', 10, ['get', 'fatalities']]], 'heatmap-radius': 18, 'heatmap-opacity': 0.7 },
      },
      {
        id: 'events-clusters', type: 'circle', source: 'events', filter: ['has', 'point_count'],
        paint: {
          'circle-color': '#1e3a8a',
          'circle-opacity': 0.8,
          'circle-radius': ['step', ['get', 'point_count'], 10, 10, 14, 50, 19, 200, 25],
          'circle-stroke-color': '#fff',
          'circle-stroke-width': 1,
        },
      },
      {
        id: 'events-points', type: 'circle', source: 'events', filter: ['!', ['has', 'point_count']],
        paint: { 'circle-color': '#1e3a8a', 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
      },
      {
        id: 'reports-points', type: 'circle', source: 'reports',
        paint: { 'circle-color': '#f97316', 'circle-radius': 6, 'circle-stroke-color': '#111', 'circle-stroke-width': 1.5 },
      },
    ],
  };
}

/** `labels`: the controls' texts in the page's language (MapLibre's own are English). */
export function createMap(container, attribution, labels) {
  const map = new maplibregl.Map({
    container,
    locale: {
      'Popup.Close': labels.closePopup,
      'NavigationControl.ZoomIn': labels.zoomIn,
      'NavigationControl.ZoomOut': labels.zoomOut,
      'AttributionControl.ToggleAttribution': labels.attribution,
    },
    style: style(),
    bounds: MALI_BOUNDS,
    fitBoundsOptions: { padding: 10 },
    attributionControl: false,
    // Nothing here needs the tile cache or remote fonts.
    maxZoom: 13,
    minZoom: 3,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-left');
  map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: attribution }));
  return map;
}

export function fitMali(map) {
  map.fitBounds(MALI_BOUNDS, { padding: 10, animate: false });
}

export function setColourMode(map, mode) {
  map.setPaintProperty('communes-fill', 'fill-color', mode === 'count' ? countColour : warningColour);
  map.setPaintProperty(
    'communes-fill',
    'fill-opacity',
    mode === 'count' ? 0.65 : ['case', ['==', ['get', 'warning_level'], null], 0.15, 0.6],
  );
}

export function setVisible(map, layers, visible) {
  for (const layer of layers) map.setLayoutProperty(layer, 'visibility', visible ? 'visible' : 'none');
}

/** Town names as DOM markers (no glyphs needed), bigger towns first. */
export async function addPlaceLabels(map) {
  const response = await fetch('/basemap/places.geojson');
  if (!response.ok) return;
  const places = await response.json();
  const inMali = places.features
    .filter((feature) => feature.properties.ADM0_A3 === 'MLI' || (feature.properties.POP_MAX ?? 0) > 500000)
    .sort((a, b) => (b.properties.POP_MAX ?? 0) - (a.properties.POP_MAX ?? 0))
    .slice(0, 30);
  for (const place of inMali) {
    const name = place.properties.NAME_FR || place.properties.NAME;
    new maplibregl.Marker({ element: el('div', { class: 'place-label' }, name), anchor: 'left' })
      .setLngLat(place.geometry.coordinates)
      .addTo(map);
  }
}

/** Keeps a count label on each rendered cluster (DOM markers: no glyph server). */
export function keepClusterLabels(map) {
  const markers = new Map();
  map.on('idle', () => {
    const seen = new Set();
    if (map.getLayoutProperty('events-clusters', 'visibility') !== 'none') {
      for (const feature of map.queryRenderedFeatures({ layers: ['events-clusters'] })) {
        const id = feature.properties.cluster_id;
        if (seen.has(id)) continue;
        seen.add(id);
        let marker = markers.get(id);
        if (!marker) {
          marker = new maplibregl.Marker({ element: el('div', { class: 'cluster-label' }, String(feature.properties.point_count)) });
          markers.set(id, marker);
        }
        marker.setLngLat(feature.geometry.coordinates).addTo(map);
      }
    }
    for (const [id, marker] of markers) {
      if (!seen.has(id)) {
        marker.remove();
        markers.delete(id);
      }
    }
  });
}

/**
 * How many events the map draws now: every unclustered point plus every cluster's count, each
 * feature once (a feature near a tile edge is returned by both tiles).
 */
export function renderedEventCount(map) {
  let count = 0;
  const clusters = new Set();
  const points = new Set();
  for (const feature of map.queryRenderedFeatures({ layers: ['events-clusters', 'events-points'] })) {
    if (feature.properties.cluster) {
      if (clusters.has(feature.properties.cluster_id)) continue;
      clusters.add(feature.properties.cluster_id);
      count += feature.properties.point_count;
    } else {
      if (points.has(feature.id)) continue;
      points.add(feature.id);
      count += 1;
    }
  }
  return count;
}

/** The bounding box of a GeoJSON geometry. */
export function bounds(geometry) {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const visit = (coordinates) => {
    if (typeof coordinates[0] === 'number') {
      minX = Math.min(minX, coordinates[0]);
      maxX = Math.max(maxX, coordinates[0]);
      minY = Math.min(minY, coordinates[1]);
      maxY = Math.max(maxY, coordinates[1]);
    } else {
      coordinates.forEach(visit);
    }
  };
  if (geometry) visit(geometry.coordinates);
  return Number.isFinite(minX) ? [[minX, minY], [maxX, maxY]] : null;
}
